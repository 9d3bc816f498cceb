"""Model performance without labels: CBPE (confidence-based performance estimation).

* :class:`ScoreCalibration` - binned isotonic calibration of P(label = 1 | score);
* :func:`estimate` - expected accuracy, precision, recall, F1 and ROC AUC of one window from
  calibrated probabilities, scores and predicted classes (NannyML's CBPE estimators);
* :class:`PerformanceBand` - NannyML's alert band: mean ± 3 std of the realised metric over
  labelled reference windows;
* :class:`PerformanceEstimator` - all of it, streaming, for one model version.

Pure: no I/O, no clock. Binary classification only.
"""

from ._band import PerformanceBand
from ._calibration import ScoreCalibration, pav
from ._cbpe import ESTIMATED_METRICS, auc_expected, confusion_metrics, estimate
from ._estimator import PerformanceEstimator, binary_class, positive_score

__all__ = ["ESTIMATED_METRICS", "PerformanceBand", "PerformanceEstimator", "ScoreCalibration",
           "auc_expected", "binary_class", "confusion_metrics", "estimate", "pav",
           "positive_score"]
