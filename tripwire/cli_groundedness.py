"""``tripwire groundedness FILE.jsonl``: score LLM responses offline, exactly as the worker does.

Each input line: ``{"response": str, "context": str | [str], "prompt"?: str}``. The scorer is
built from the same settings as the worker's (``MonitorConfig.groundedness_scorer``), so
``--config`` changes both alike. With ``--json``: one line per input line, same order,
``{"score": 0..1, "flagged": bool, "reasons": [str, ...]}`` (``score`` is 1.0 when the
response asserts nothing checkable or there is nothing to check it against); a bad line prints
``line N: skipped: <reason>`` on stderr and ``{"error": "<reason>"}`` in its place, and the run
goes on. Without ``--json``: a short summary (lines, flagged share, score quartiles). Files of
more than :data:`PROGRESS_LINES` lines report progress on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import orjson

from tripwire.errors import ConfigError

__all__ = ["PROGRESS_LINES", "cmd_groundedness", "parse_line", "register"]

PROGRESS_LINES = 10_000


def parse_line(raw: bytes) -> tuple[str, list[str], str]:
    """(response, context documents, prompt) of one input line; ValueError names the problem."""
    if not raw.strip():
        raise ValueError("empty line")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    response, context, prompt = obj.get("response"), obj.get("context"), obj.get("prompt", "")
    if not isinstance(response, str):
        raise ValueError('"response" must be a string' if "response" in obj
                         else 'missing "response"')
    if "context" not in obj:
        raise ValueError('missing "context" (a string or a list of strings)')
    if isinstance(context, str):
        context = [context]
    if not isinstance(context, list) or not all(isinstance(d, str) for d in context):
        raise ValueError('"context" must be a string or a list of strings')
    if prompt is None:
        prompt = ""
    if not isinstance(prompt, str):
        raise ValueError('"prompt" must be a string')
    return response, context, prompt


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        yield from enumerate(handle, 1)


def _count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _scorer(args: argparse.Namespace) -> Any:
    from streams.monitor import MonitorConfig
    from tripwire.settings import load_settings

    settings = load_settings(getattr(args, "config", None))
    try:
        config = MonitorConfig.from_settings(settings.monitoring,
                                             judge_window=settings.judge.window)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return config.groundedness_scorer()


def cmd_groundedness(args: argparse.Namespace, out: TextIO = sys.stdout,
                     err: TextIO = sys.stderr) -> int:  # fmt: skip
    path = Path(args.file)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file. Fix: pass a JSONL file with one "
                          '{"response": ..., "context": ...} object per line.')
    scorer = _scorer(args)
    total = _count(path)
    progress = total > PROGRESS_LINES
    scores: list[float] = []
    flagged = skipped = 0
    for number, raw in _lines(path):
        try:
            response, context, prompt = parse_line(raw)
        except ValueError as exc:
            skipped += 1
            print(f"line {number}: skipped: {exc}", file=err)
            if args.json:
                out.write(orjson.dumps({"error": str(exc)}).decode() + "\n")
            continue
        g = scorer.score(response, context, prompt)
        score = 1.0 if g.score is None else g.score
        scores.append(score)
        flagged += g.flagged
        if args.json:
            out.write(orjson.dumps({"score": score, "flagged": g.flagged,
                                    "reasons": g.reasons}).decode() + "\n")
        if progress and number % PROGRESS_LINES == 0:
            print(f"tripwire groundedness: {number:,} / {total:,} lines", file=err, flush=True)
    if not args.json:
        out.write(summary(scores, flagged, skipped) + "\n")
    return 0


def summary(scores: list[float], flagged: int, skipped: int) -> str:
    """The text summary: lines scored, flagged share, score quartiles."""
    n = len(scores)
    lines = [f"lines scored  {n:,}" + (f" ({skipped:,} skipped)" if skipped else "")]
    if not n:
        return "\n".join(lines)
    ordered = sorted(scores)

    def q(p: float) -> float:
        return ordered[min(n - 1, round(p * (n - 1)))]

    lines.append(f"flagged       {flagged / n:.1%} ({flagged:,} of {n:,})")
    lines.append(f"score         min {ordered[0]:.2f}  q1 {q(0.25):.2f}  median {q(0.5):.2f}  "
                 f"q3 {q(0.75):.2f}  max {ordered[-1]:.2f}")
    return "\n".join(lines)


def register(sub: Any) -> None:
    """Add ``groundedness`` to the ``tripwire`` parser."""
    p = sub.add_parser("groundedness", help="score LLM responses in a JSONL file offline "
                       "(the worker's scorer and settings)")
    p.add_argument("file", help='JSONL: {"response": str, "context": str | [str], '
                   '"prompt"?: str} per line')
    p.add_argument("--json", action="store_true",
                   help="one JSON result per input line instead of a summary")
    p.set_defaults(func=cmd_groundedness)
