"""Fit the groundedness model's constants from HaluEval's development split, reproducibly.

``python -m benchmarks.calibrate_groundedness`` (add ``--write`` to update
``detectors/llm/_weights.py``):

1. Collect the claim evidence of every development example (items 0-4,999 of qa, dialogue
   and summarization, mapped as in :mod:`benchmarks.halueval_quality`) with
   :meth:`detectors.llm.GroundednessScorer.evidence`, i.e. exactly as the worker sees it;
   qa and dialogue twice, with their prompt and without it (an app may send the knowledge
   alone, and the model must hold for both).
2. Fit an L2-penalised logistic regression (Newton's method, deterministic) whose weights are
   mixed by the kind of request (:func:`detectors.llm._model.kind_mix`); evidence against a
   response keeps a weight >= 0.
3. Set each kind's intercept so that ``TARGET_FALSE_FLAGS`` of the grounded examples mostly
   of that kind are flagged, but never so that a fully supported response without evidence
   against it scores below ``PERFECT_SCORE``; then give :data:`DECISIVE` evidence at least
   the weight that flags an otherwise fully supported response (a few rounds).
4. Cross-check: fit on items 0-2,499 and report on 2,500-4,999, then the reverse, with and
   without the prompt; the figures printed are those of the half not fitted on. Then refit
   on all 5,000 and (with ``--write``) write the constants.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.datasets import DEV_ITEMS, HALUEVAL_TASKS
from benchmarks.halueval_quality import FIELDS, auc, examples, length_matched_auc

__all__ = ["DECISIVE", "EVIDENCE", "Data", "collect", "fit", "main"]

L2 = 1.0
#: Features that are evidence against a response: their weights are kept >= 0.
EVIDENCE = frozenset({
    "name_unsupported", "name_contradicted", "number_unsupported", "number_contradicted",
    "negation_contradicted", "correction", "relation_unsupported", "entity_claim",
    "names_unsupported", "substitution", "restated_entity", "denial", "category_contradicted",
})  # fmt: skip
#: Evidence that flags a response on its own, whatever else it says (but in a summary of a
#: long document, where development data shows it is noisy): a number where the sources'
#: statement about the same thing has another ("released in 1995" / "released 2014").
DECISIVE = ("number_contradicted",)
DECISIVE_MARGIN = 0.3
#: A response with full support and no evidence against it scores at least this.
PERFECT_SCORE = 0.9
#: Share of grounded development examples flagged, per kind (:data:`detectors.llm._model.KINDS`).
TARGET_FALSE_FLAGS = (0.06, 0.12, 0.06, 0.09)
WEIGHTS_PATH = Path(__file__).resolve().parent.parent / "detectors" / "llm" / "_weights.py"


Row = tuple[tuple[float, ...], int, tuple[int, int, float, int, bool], str, int, int, bool]
_COLUMNS = ("x", "y", "shape", "mix", "task", "item", "length", "prompt")


class Data:
    """Feature rows of examples: ``x`` (n, features), ``y``, ``shape`` (the request's, see
    :func:`detectors.llm._model.kind_mix`), ``mix`` (kind shares),
    ``task``, ``item``, ``length`` (response words), ``prompt`` (scored with its prompt)."""

    def __init__(self, rows: list[Row]) -> None:
        from detectors.llm._model import kind_mix

        self.x = np.array([r[0] for r in rows], float)
        self.y = np.array([r[1] for r in rows], int)
        self.shape = [r[2] for r in rows]
        self.mix = np.array([kind_mix(*r[2]) for r in rows], float)
        self.task = np.array([r[3] for r in rows])
        self.item = np.array([r[4] for r in rows], int)
        self.length = np.array([r[5] for r in rows], int)
        self.prompt = np.array([r[6] for r in rows], bool)

    def subset(self, mask: np.ndarray) -> Data:
        out = Data.__new__(Data)
        for name in _COLUMNS:
            value = getattr(self, name)
            setattr(out, name, value[mask] if isinstance(value, np.ndarray) else
                    [v for v, m in zip(value, mask, strict=True) if m])
        return out


def collect(tasks: Sequence[str] = HALUEVAL_TASKS, stop: int = DEV_ITEMS) -> Data:
    """Evidence features of every example of the development split (fresh scorer), each
    task with its prompt and, where it has one (qa, dialogue), also without: an app may
    send the knowledge alone, and the model must hold for both."""
    from detectors.llm import GroundednessScorer
    from detectors.llm._model import features

    scorer = GroundednessScorer()
    rows = []
    for task in tasks:
        for with_prompt in (True, False) if FIELDS[task][1] else (True,):
            for ex in examples(task, 0, stop, with_prompt=with_prompt):
                ev, _ = scorer.evidence(ex.response, [ex.context], ex.prompt)
                if not (ev.content or ev.numbers or ev.names):
                    continue  # nothing checkable: the scorer gives no score and never flags
                rows.append((features(ev), ex.label, ev.shape, task,
                             ex.item, len(ex.response.split()), with_prompt))
    return Data(rows)


def design(data: Data) -> np.ndarray:
    """Columns: for each kind, its share times (1, features...)."""
    base = np.hstack([np.ones((len(data.y), 1)), data.x])
    return np.hstack([base * data.mix[:, [k]] for k in range(data.mix.shape[1])])


def _newton(d: np.ndarray, y: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    w = np.zeros(d.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(d @ w)))
        grad = d.T @ (p - y) + penalty * w
        hess = (d * (p * (1 - p))[:, None]).T @ d + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return w


def fit(data: Data, l2: float = L2,
        target: Sequence[float] = TARGET_FALSE_FLAGS) -> np.ndarray:  # fmt: skip
    """Weights (kinds, 1 + features): penalised fit, then per-kind intercepts.

    Features a kind does not use (:data:`detectors.llm._model.UNUSED`) keep weight 0, and so
    does a piece of evidence against a response (:data:`EVIDENCE`) whose fitted weight would
    be negative: more evidence of a hallucination never raises the score. Such features are
    dropped one round at a time and the rest refitted. Last, :data:`DECISIVE` evidence is
    given at least the weight that flags an otherwise fully supported response."""
    from detectors.llm._model import FEATURES, KINDS, UNUSED

    names = ("intercept", *FEATURES)
    width = len(names)
    keep = np.array([name not in UNUSED.get(kind, ()) for kind in KINDS for name in names])
    evidence = np.array([name in EVIDENCE for _ in KINDS for name in names])
    d_all = design(data)
    penalty_all = np.array([0.0 if c % width == 0 else l2 for c in range(len(keep))])
    while True:
        weights = np.zeros(len(keep))
        weights[keep] = _newton(d_all[:, keep], data.y.astype(float), penalty_all[keep])
        negative = keep & evidence & (weights < 0)
        if not negative.any():
            break
        keep &= ~negative
    table = weights.reshape(len(KINDS), width)
    for _ in range(3):
        table = _decisive(_place_intercepts(table, data, target))
    return table


def _decisive(weights: np.ndarray) -> np.ndarray:
    """Raise the weights of :data:`DECISIVE` evidence (except in documents) so that a
    response that is fully supported but for it scores below 0.5 (by ``DECISIVE_MARGIN``)."""
    from detectors.llm._model import FEATURES, KINDS

    weights = weights.copy()
    perfect, prompted = _perfect(len(FEATURES))
    fresh = prompted.copy()  # a context entity the prompt does not mention
    fresh[FEATURES.index("fresh_entity")] = 1.0
    for k, kind in enumerate(KINDS):
        if kind == "document":
            continue
        z = min(weights[k, 0] + weights[k, 1:] @ v for v in (perfect, prompted, fresh))
        for name in DECISIVE:
            i = 1 + FEATURES.index(name)
            weights[k, i] = max(weights[k, i], DECISIVE_MARGIN - z)
    return weights


def _place_intercepts(weights: np.ndarray, data: Data,
                      target: Sequence[float]) -> np.ndarray:  # fmt: skip
    """Shift each kind's intercept until ``target`` of the grounded examples mostly of that
    kind have a positive logit; a few fixed-point rounds settle the mixing between kinds."""
    m = data.mix
    nearest = np.argmax(m, axis=1)
    anchors = range(m.shape[1])
    grounded = data.y == 0
    weights = weights.copy()
    perfect = _perfect(data.x.shape[1])
    # logit of 1 - PERFECT_SCORE, less a margin for the weights' rounding to 4 decimals
    floor = math.log((1.0 - PERFECT_SCORE) / PERFECT_SCORE) - 0.01
    for _ in range(20):
        z = (m * (weights[:, :1].T + data.x @ weights[:, 1:].T)).sum(axis=1)
        shifts = np.zeros(len(anchors))
        for a in range(len(anchors)):
            band = grounded & (nearest == a)
            if band.sum() >= 20:
                shifts[a] = _cut(z[band], target[a])
            # never let a fully supported response fall below PERFECT_SCORE at this kind
            shifts[a] = max(shifts[a], *(weights[a, 0] + weights[a, 1:] @ p - floor
                                         for p in perfect))
        weights[:, 0] -= shifts
        if np.max(np.abs(shifts)) < 1e-6:
            break
    return weights


def _perfect(width: int) -> list[np.ndarray]:
    """The feature vectors of a response with full support and no evidence against it, sent
    without a prompt and with one (features that only describe the request must not pull a
    fully supported response below ``PERFECT_SCORE`` either)."""
    from detectors.llm._evidence import Evidence
    from detectors.llm._model import features

    vectors = [np.array(features(Evidence(content=1, supported=1, in_context=1,
                                          prompt_words=words)), float)
               for words in (0, 5)]  # fmt: skip
    assert all(len(v) == width for v in vectors)
    return vectors


def _cut(z: np.ndarray, target: float) -> float:
    """A logit between two distinct values of ``z`` with at most ``target`` of ``z`` above
    it, midway, so that a value shared by many examples never sits on the cut."""
    values = np.sort(z)
    keep = values[min(len(values) - 1, int(np.ceil((1.0 - target) * len(values))) - 1)]
    above = values[values > keep]
    return float((keep + above[0]) / 2) if len(above) else float(keep + 1.0)


def predict(weights: np.ndarray, data: Data) -> np.ndarray:
    """Probability of hallucination per example."""
    m = data.mix
    z = (m * (weights[:, :1].T + data.x @ weights[:, 1:].T)).sum(axis=1)
    return 1.0 / (1.0 + np.exp(-z))


def report(weights: np.ndarray, data: Data, title: str) -> list[str]:
    """One line per task: balanced accuracy, recall, false flags, AUC, length-matched AUC."""
    lines = [title]
    p = predict(weights, data)
    for task in HALUEVAL_TASKS:
        for prompt in (True, False):
            sel = (data.task == task) & (data.prompt == prompt)
            if not sel.any():
                continue
            y, ps, flags = data.y[sel], p[sel], p[sel] > 0.5
            recall, false = flags[y == 1].mean(), flags[y == 0].mean()
            lm, _ = length_matched_auc(y, ps, data.length[sel])
            name = task if FIELDS[task][1] is None else f"{task} {'+' if prompt else '-'}prompt"
            lines.append(f"  {name:22s} balanced accuracy {(recall + 1 - false) / 2:.3f}  "
                         f"recall {recall:.3f}  false flags {false:.3f}  AUC {auc(y, ps):.3f}  "
                         f"length-matched AUC {lm:.3f}")
    return lines


def render(weights: np.ndarray) -> str:
    """Source text of ``detectors/llm/_weights.py``."""
    from detectors.llm._model import FEATURES, KINDS

    rows = []
    for kind, w in zip(KINDS, weights, strict=True):
        cells = [f"{v:.4f}" for v in w]
        lines = [", ".join(cells[i : i + 8]) for i in range(0, len(cells), 8)]
        rows.append(f"    (  # {kind}\n        " + ",\n        ".join(lines) + ",\n    ),")
    return (
        '"""Fitted constants of the groundedness model. Generated: do not edit.\n\n'
        "Written by ``python -m benchmarks.calibrate_groundedness --write`` from HaluEval's\n"
        f"development split (L2 {L2:g}; grounded examples flagged per kind: "
        f"{', '.join(f'{t:.0%}' for t in TARGET_FALSE_FLAGS)}).\n"
        "One row per kind of ``detectors.llm._model.KINDS``: intercept, then one\n"
        "weight per feature of "
        "``detectors.llm._model.FEATURES``:\n"
        + ",\n".join(FEATURES) + ".\n"
        '"""\n\n'
        "WEIGHTS = (\n" + "\n".join(rows) + "\n)\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"update {WEIGHTS_PATH.name}")
    args = parser.parse_args(argv)
    data = collect()
    half = DEV_ITEMS // 2
    first, second = data.item < half, data.item >= half
    for fit_on, check_on, name in ((first, second, "0-2,499"), (second, first, "2,500-4,999")):
        weights = fit(data.subset(fit_on))
        print("\n".join(report(weights, data.subset(check_on),
                               f"fitted on items {name}, checked on the other half:")))
    weights = fit(data)
    print("\n".join(report(weights, data, "fitted on all 5,000 items (in-sample):")))
    text = render(weights)
    if args.write:
        WEIGHTS_PATH.write_text(text)
        print(f"wrote {WEIGHTS_PATH}")
    else:
        print(text)
    assert all(math.isfinite(v) for v in weights.ravel())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
