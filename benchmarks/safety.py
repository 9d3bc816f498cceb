"""Safety detectors: precision/recall on the labelled corpus, and microseconds per event.

The corpus (``benchmarks/data/safety_corpus.jsonl``) holds short texts, each with the labels of
everything it contains (``email``, ``phone``, ``card``, ``iban``, ``ssn``, ``secret:<kind>``,
``refusal``, ``injection``) and, for hard negatives, a note saying what it imitates (numbers
that fail Luhn or mod-97, documented example keys, "I can't wait to help", ...). Every
detector runs on every text, so a phone pattern firing on a card number counts as a phone
false positive.

Cost per event: :func:`detectors.safety.scan` (what the worker runs per LLM event) timed one
event at a time with ``perf_counter_ns`` on three profiles: the demo's synthetic events
(short texts), RAG-like answers of ~1,000 characters full of numbers and names
(``benchmarks.llm_scoring.make_events``), and 8,000-character answers. Medians and p99 over
``repeat`` passes. ``python -m benchmarks.safety`` prints the JSON of :func:`run`.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from detectors.safety import PII_KINDS, find_pii, find_secrets, has_injection, is_refusal, scan

__all__ = ["CORPUS", "DETECTORS", "detected_labels", "load_corpus", "quality", "cost", "run"]

CORPUS = Path(__file__).resolve().parent / "data" / "safety_corpus.jsonl"
DETECTORS = (*PII_KINDS, "secret", "refusal", "injection")


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    """The labelled records ``{"text", "labels", "note"}``."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def detected_labels(text: str) -> set[str]:
    """Every label the detectors assign to ``text`` (same vocabulary as the corpus)."""
    out = {f.kind for f in find_pii(text)}
    out |= {"secret:" + f.kind for f in find_secrets(text)}
    if is_refusal(text):
        out.add("refusal")
    if has_injection(text):
        out.add("injection")
    return out


def _family(label: str) -> str:
    return "secret" if label.startswith("secret:") else label


def _hard_negative_for(record: dict[str, Any]) -> str | None:
    note = record.get("note", "")
    if not note.startswith("hard negative:"):
        return None
    target = note.split(":", 1)[1].strip().lower()
    return next((d for d in DETECTORS if target.startswith(d)), None)


def _count(table: dict[str, dict[str, Any]], record: dict[str, Any]) -> None:
    truth, found = set(record["labels"]), detected_labels(record["text"])
    for label in truth:
        table[_family(label)]["positives"] += 1
    target = _hard_negative_for(record)
    if target:
        table[target]["hard_negatives"] += 1
    for label in truth | found:
        row = table[_family(label)]
        key = "tp" if label in truth and label in found else "fn" if label in truth else "fp"
        row[key] += 1
        if key != "tp":
            row["misses"].append(f"{key}: {record['text'][:80]!r}")


def quality(records: list[dict[str, Any]] | None = None,
            split: str | None = None) -> dict[str, dict[str, Any]]:
    """Per detector: true/false positives, false negatives, precision, recall, and how many
    positives and hard negatives the corpus has for it (``split``: ``"dev"``, the records the
    patterns were tuned on, or ``"blind"``, written before the detectors ever ran on them and
    never tuned against). A secret counts as found only with its own kind (an OpenAI key
    reported as a Stripe key is one FP and one FN)."""
    records = load_corpus() if records is None else records
    table: dict[str, dict[str, Any]] = {
        d: {"tp": 0, "fp": 0, "fn": 0, "positives": 0, "hard_negatives": 0, "misses": []}
        for d in DETECTORS}
    for record in records:
        if split is None or record.get("split") == split:
            _count(table, record)
    for row in table.values():
        row["precision"] = row["tp"] / (row["tp"] + row["fp"]) if row["tp"] + row["fp"] else 1.0
        row["recall"] = row["tp"] / (row["tp"] + row["fn"]) if row["tp"] + row["fn"] else 1.0
    return table


def _profiles(n: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    from benchmarks.llm_scoring import make_events, make_pool
    from tripwire.synth import llm_stream

    rag = make_events(n, seed=seed, pool=make_pool(200, seed=seed))
    rng = random.Random(seed)
    long = []
    for i in range(n):
        parts = [rag[(i + k) % n]["response"] for k in range(8)]
        rng.shuffle(parts)
        long.append((rag[i]["prompt"], " ".join(parts)))
    return {"demo": [(e["prompt"], e["response"]) for e in llm_stream(n, v2_at=n // 2)],
            "rag_1k": [(e["prompt"], e["response"]) for e in rag],
            "long_8k": long}


def _time(pairs: list[tuple[str, str]], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        for prompt, response in pairs:
            start = time.perf_counter_ns()
            scan(prompt, response)
            out.append((time.perf_counter_ns() - start) / 1e3)
    return out


def cost(n: int = 2000, repeat: int = 5, seed: int = 3) -> dict[str, dict[str, float]]:
    """Median and p99 microseconds of one ``scan`` per profile, and the texts' mean size."""
    out = {}
    for name, pairs in _profiles(n, seed).items():
        _time(pairs[:200], 1)  # warm up
        us = sorted(_time(pairs, repeat))
        out[name] = {"median_us": round(statistics.median(us), 2),
                     "p99_us": round(us[int(0.99 * (len(us) - 1))], 2),
                     "mean_response_chars": round(statistics.fmean(len(r) for _, r in pairs)),
                     "mean_prompt_chars": round(statistics.fmean(len(p) for p, _ in pairs)),
                     "events": len(pairs)}
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """Quality table and cost per event (``quick``: fewer timed events)."""
    def rounded(table: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {d: {k: (round(v, 4) if isinstance(v, float) else v)
                    for k, v in row.items() if k != "misses"} for d, row in table.items()}

    return {"quality": rounded(quality()), "quality_dev": rounded(quality(split="dev")),
            "quality_blind": rounded(quality(split="blind")),
            "cost": cost(n=300 if quick else 2000, repeat=2 if quick else 5)}


if __name__ == "__main__":
    result = run()
    print(json.dumps(result, indent=2))
