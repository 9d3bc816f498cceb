"""CBPE: confidence-based performance estimation of a binary classifier, without labels.

Given calibrated probabilities ``p_i = P(y_i = 1 | score_i)`` and the predicted classes of a
window, the expected confusion matrix is ``TP = sum(p_i | pred 1)``, ``FP = sum(1 - p_i | pred
1)``, ``FN = sum(p_i | pred 0)``, ``TN = sum(1 - p_i | pred 0)``; accuracy, precision, recall
and F1 follow from it (0 where undefined, as scikit-learn), and the ROC AUC is the expected
Mann-Whitney statistic with the expected positives ``p_i`` and negatives ``1 - p_i`` ranked by
score (ties count one half). These are NannyML's CBPE estimators (``estimate_accuracy``,
``estimate_roc_auc``, ...). They hold while P(y | score) stays as calibrated: under covariate
shift, not under concept drift.

>>> import numpy as np
>>> p = np.array([0.9, 0.8, 0.3, 0.1])            # already calibrated
>>> est = estimate(p, scores=p, predicted=np.array([1, 1, 0, 0]))
>>> {k: round(v, 4) for k, v in est.items()}
{'accuracy': 0.825, 'precision': 0.85, 'recall': 0.8095, 'f1': 0.8293, 'auc': 0.8634}
"""

from __future__ import annotations

import numpy as np

__all__ = ["ESTIMATED_METRICS", "auc_expected", "confusion_metrics", "estimate"]

ESTIMATED_METRICS = ("accuracy", "precision", "recall", "f1", "auc")


def confusion_metrics(tp: float, fp: float, fn: float, tn: float) -> dict[str, float]:
    """Accuracy, precision, recall and F1 of a (possibly expected) confusion matrix."""
    n = tp + fp + fn + tn
    return {"accuracy": (tp + tn) / n if n else 0.0,
            "precision": tp / (tp + fp) if tp + fp > 0 else 0.0,
            "recall": tp / (tp + fn) if tp + fn > 0 else 0.0,
            "f1": 2 * tp / (2 * tp + fp + fn) if tp > 0 else 0.0}


def auc_expected(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """ROC AUC of ``scores`` where row i is ``positive[i]`` of a positive (a probability, or
    0/1 for realised labels) and ``1 - positive[i]`` of a negative; None if undefined."""
    values, inverse = np.unique(scores, return_inverse=True)
    pos = np.bincount(inverse, weights=positive, minlength=values.size)
    neg = np.bincount(inverse, weights=1.0 - positive, minlength=values.size)
    total_pos, total_neg = pos.sum(), neg.sum()
    if total_pos <= 0 or total_neg <= 0:
        return None
    below = np.cumsum(neg) - neg  # negatives with a lower score than each group
    return float(np.sum(pos * (below + 0.5 * neg)) / (total_pos * total_neg))


def estimate(p: np.ndarray, scores: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Estimated metrics of one window: calibrated ``p``, raw ``scores`` (for the ranking of
    the AUC) and ``predicted`` classes (1 positive, 0 negative), equal lengths, non-empty."""
    pred = np.asarray(predicted, dtype=bool)
    tp, fp = float(p[pred].sum()), float((1.0 - p[pred]).sum())
    fn, tn = float(p[~pred].sum()), float((1.0 - p[~pred]).sum())
    out = confusion_metrics(tp, fp, fn, tn)
    auc = auc_expected(scores, p)
    if auc is not None:
        out["auc"] = auc
    return out
