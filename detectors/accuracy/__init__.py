"""Delayed-label accuracy: the label join, per-window metrics and the decay detector.

Pure and event-time driven; the Faust worker and ``tripwire replay`` share these classes.

``LabelJoin`` keys predictions and labels by ``prediction_id`` (events of ``tripwire_sdk``
schema v1: ``prediction_id``, ``prediction`` / ``label``, ``ts``, optional ``score`` (probability
of the positive class, or a ``{class: probability}`` dict), ``model``, ``model_version``).

``AccuracyWindow`` metrics, sklearn conventions (zero division gives 0):

* task: ``"classification"`` when any value is a str or bool, or when all values are integral
  numbers with at most ``max_classes`` distinct values; otherwise ``"regression"``. Pass
  ``task=`` to override (e.g. integer counts that are a regression target).
* class values are compared canonically: bools and integral numbers as ints, then as text, so
  ``True``, ``1``, ``1.0`` and ``"1"`` are one class.
* binary (<= 2 classes): ``positive=`` if given, else the class spelled 1 / true / yes /
  positive / pos, else the minority label class. Multiclass: macro averages over the classes in
  labels and predictions. ``logloss`` and ``auc`` need scores and a binary task.
* ``label.coverage`` = joined pairs / predictions counted with ``add_prediction``;
  ``label.latency_s`` = median of label ts - prediction ts.
"""

from ._decay import DecayDetector
from ._join import LabelJoin
from ._metrics import AccuracyWindow

__all__ = ["AccuracyWindow", "DecayDetector", "LabelJoin"]
