"""Groundedness quality on HaluEval's development split (items 0-4,999 of each task).

Each item gives two events with the same source: its grounded response (label 0) and its
hallucinated one (label 1). Mapping (the natural one, also assumed for held-out checks):

* qa: context = knowledge, prompt = question, responses right_answer / hallucinated_answer;
* dialogue: context = knowledge, prompt = dialogue_history, right_response /
  hallucinated_response;
* summarization: context = document, no prompt, right_summary / hallucinated_summary.

Figures per task (:func:`evaluate`): balanced accuracy of ``flagged``, recall (hallucinated
responses flagged), false flags (grounded responses flagged), AUC of the hallucination
ranking by ``score`` (a grounded response should score higher), the same AUC over only the
pairs of responses whose word counts differ by less than 10 % (:func:`length_matched_auc`:
length cannot explain it), and CPU milliseconds per response. ``python -m
benchmarks.halueval_quality`` prints the table for the baseline and the current scorer;
``--halves`` prints it per half of the split (items 0-2,499 and 2,500-4,999), with and
without the prompt (qa and dialogue; summarization has none), as the calibration checks it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from benchmarks.datasets import DEV_ITEMS, HALUEVAL_TASKS, halueval

__all__ = ["FIELDS", "Example", "TaskFigures", "auc", "evaluate", "examples",
           "length_matched_auc"]

#: task -> (context key, prompt key or None, grounded response key, hallucinated response key)
FIELDS = {
    "qa": ("knowledge", "question", "right_answer", "hallucinated_answer"),
    "dialogue": ("knowledge", "dialogue_history", "right_response", "hallucinated_response"),
    "summarization": ("document", None, "right_summary", "hallucinated_summary"),
}


@dataclass(frozen=True, slots=True)
class Example:
    """One scored event: ``label`` 1 = hallucinated response."""

    task: str
    item: int
    label: int
    response: str
    context: str
    prompt: str


def examples(task: str, start: int = 0, stop: int = DEV_ITEMS, with_prompt: bool = True,
             step: int = 1) -> Iterator[Example]:  # fmt: skip
    """Grounded then hallucinated example of every ``step``-th development item in
    ``[start, stop)``."""
    context_key, prompt_key, right, wrong = FIELDS[task]
    for item, row in enumerate(halueval(task, limit=stop)):
        if item < start or (item - start) % step:
            continue
        prompt = str(row[prompt_key]) if prompt_key and with_prompt else ""
        for label, key in ((0, right), (1, wrong)):
            yield Example(task, item, label, str(row[key]), str(row[context_key]), prompt)


def auc(labels: Sequence[int], hallucination: Sequence[float]) -> float:
    """P(a hallucinated example ranks above a grounded one), ties counting one half."""
    y = np.asarray(labels, bool)
    s = np.asarray(hallucination, float)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    n1, n0 = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def length_matched_auc(labels: Sequence[int], hallucination: Sequence[float],
                       lengths: Sequence[int], tolerance: float = 0.1) -> tuple[float, int]:
    """:func:`auc` over only the (hallucinated, grounded) pairs whose lengths differ by less
    than ``tolerance`` of the longer one; returns (AUC, number of such pairs)."""
    y = np.asarray(labels, bool)
    s = np.asarray(hallucination, float)
    n = np.asarray(lengths, float)
    pos, neg, lp, ln = s[y], s[~y], n[y], n[~y]
    wins = 0.0
    pairs = 0
    for i in range(0, len(pos), 512):
        p, length = pos[i : i + 512, None], lp[i : i + 512, None]
        near = np.abs(length - ln[None, :]) < tolerance * np.maximum(length, ln[None, :])
        wins += float((((p > neg) + 0.5 * (p == neg)) * near).sum())
        pairs += int(near.sum())
    return (wins / pairs if pairs else float("nan")), pairs


@dataclass(frozen=True, slots=True)
class TaskFigures:
    """Quality and cost of one scorer on one task."""

    task: str
    n: int
    balanced_accuracy: float
    recall: float
    false_flags: float
    auc: float
    auc_length_matched: float
    ms_median: float
    ms_p99: float


Scorer = Callable[[str, str, str], tuple[float | None, bool]]


def evaluate(score: Scorer, task: str, start: int = 0, stop: int = DEV_ITEMS,
             with_prompt: bool = True, step: int = 1,
             pad: str = "") -> TaskFigures:  # fmt: skip
    """Figures of ``score(response, context, prompt) -> (score or None, flagged)`` on a task
    (``pad``: a sentence appended to every response, to check that it changes nothing).

    A None score ranks as fully supported (1.0)."""
    labels, hallucination, flags, lengths, laps = [], [], [], [], []
    for ex in examples(task, start, stop, with_prompt, step):
        if pad:
            text = ex.response.rstrip()
            ex = replace(ex, response=f"{text}{'' if text.endswith(('.', '!', '?')) else '.'} "
                                      f"{pad}")
        t0 = time.process_time()
        value, flagged = score(ex.response, ex.context, ex.prompt)
        laps.append(time.process_time() - t0)
        labels.append(ex.label)
        hallucination.append(1.0 - (1.0 if value is None else value))
        flags.append(flagged)
        lengths.append(len(ex.response.split()))
    y = np.asarray(labels, bool)
    f = np.asarray(flags, bool)
    recall, false_flags = float(f[y].mean()), float(f[~y].mean())
    lm, _ = length_matched_auc(labels, hallucination, lengths)
    ms = sorted(lap * 1e3 for lap in laps)
    return TaskFigures(task, len(labels), round((recall + 1 - false_flags) / 2, 4),
                       round(recall, 4), round(false_flags, 4),
                       round(auc(labels, hallucination), 4), round(lm, 4),
                       round(statistics.median(ms), 4), round(ms[int(0.99 * (len(ms) - 1))], 4))


def scorers() -> dict[str, Scorer]:
    """The baseline (word overlap) and the current scorer, each with an empty cache."""
    from detectors.llm import GroundednessScorer, LexicalScorer

    def wrap(scorer: Any) -> Scorer:
        def run(response: str, context: str, prompt: str) -> tuple[float | None, bool]:
            g = scorer.score(response, [context], prompt)
            return g.score, g.flagged
        return run

    return {"baseline": wrap(LexicalScorer()), "new": wrap(GroundednessScorer())}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--stop", type=int, default=DEV_ITEMS)
    parser.add_argument("--no-prompt", action="store_true", help="drop the prompt (robustness)")
    parser.add_argument("--only", choices=["baseline", "new"])
    parser.add_argument("--halves", action="store_true",
                        help="per half of the split, with and without the prompt")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    runs = [(args.start, args.stop, not args.no_prompt)]
    if args.halves:
        half = DEV_ITEMS // 2
        runs = [(a, b, p) for p in (True, False) for a, b in ((0, half), (half, DEV_ITEMS))]
    rows = []
    for name, score in scorers().items():
        if args.only and name != args.only:
            continue
        for start, stop, prompt in runs:
            for task in HALUEVAL_TASKS:
                if prompt or FIELDS[task][1]:  # summarization has no prompt to drop
                    fig = evaluate(score, task, start, stop, prompt)
                    rows.append({"scorer": name, "items": f"{start}-{stop - 1}",
                                 "prompt": prompt and bool(FIELDS[task][1]), **asdict(fig)})
    if args.json:
        print(json.dumps(rows))
        return 0
    _table(rows)
    return 0


def _table(rows: list[dict[str, Any]]) -> None:
    print("| scorer | items | task | prompt | balanced accuracy | recall | false flags | AUC | "
          "AUC, lengths within 10 % | ms median / p99 |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scorer']} | {r['items']} | {r['task']} | {'yes' if r['prompt'] else 'no'} "
              f"| {r['balanced_accuracy']:.3f} | {r['recall']:.1%} | {r['false_flags']:.1%} | "
              f"{r['auc']:.3f} | {r['auc_length_matched']:.3f} | "
              f"{r['ms_median']:.3f} / {r['ms_p99']:.3f} |")


if __name__ == "__main__":
    raise SystemExit(main())
