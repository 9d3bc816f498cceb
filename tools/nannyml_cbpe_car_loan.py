"""NannyML's own CBPE on its synthetic car loan set: the yardstick for Tripwire's estimator.

Run in a separate environment with the full NannyML (not the project's; it needs ~2 GB and
the undeclared ``statsmodels``)::

    python3 -m venv /tmp/nannyml-venv
    /tmp/nannyml-venv/bin/pip install nannyml==0.13.1 statsmodels
    NML_DISABLE_USAGE_LOGGING=1 /tmp/nannyml-venv/bin/python tools/nannyml_cbpe_car_loan.py \\
        > tests/scenarios/fixtures/nannyml_cbpe_car_loan.json

Prints one JSON document: NannyML's version, whether CBPE calibrated the scores, and per
5,000-row analysis chunk the estimated and realised accuracy, precision, recall, F1 and ROC
AUC, NannyML's lower/upper thresholds and its alert flags. The realised values are computed
here with scikit-learn from the analysis targets, row ids joined.
"""

from __future__ import annotations

import json
import sys

import nannyml as nml
import pandas as pd
from sklearn import metrics as sk

METRICS = {"accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "f1",
           "auc": "roc_auc"}
CHUNK = 5000


def realised(frame: pd.DataFrame) -> dict[str, float]:
    y, pred, proba = frame["repaid"], frame["y_pred"], frame["y_pred_proba"]
    return {"accuracy": sk.accuracy_score(y, pred), "precision": sk.precision_score(y, pred),
            "recall": sk.recall_score(y, pred), "f1": sk.f1_score(y, pred),
            "auc": sk.roc_auc_score(y, proba)}


def main() -> None:
    reference, analysis, targets = nml.load_synthetic_car_loan_dataset()
    estimator = nml.CBPE(y_pred_proba="y_pred_proba", y_pred="y_pred", y_true="repaid",
                         problem_type="classification_binary", chunk_size=CHUNK,
                         metrics=list(METRICS.values()))
    estimator.fit(reference)
    result = estimator.estimate(analysis).filter(period="analysis").to_df()
    joined = analysis.merge(targets, on="id")
    chunks = []
    for i in range(len(result)):
        frame = joined.iloc[i * CHUNK:(i + 1) * CHUNK]
        chunk: dict = {"index": i, "start_row": i * CHUNK, "end_row": (i + 1) * CHUNK - 1,
                       "realised": realised(frame)}
        for ours, theirs in METRICS.items():
            cell = result[theirs].iloc[i]
            chunk.setdefault("estimated", {})[ours] = float(cell["value"])
            chunk.setdefault("lower", {})[ours] = _num(cell["lower_threshold"])
            chunk.setdefault("upper", {})[ours] = _num(cell["upper_threshold"])
            chunk.setdefault("alert", {})[ours] = bool(cell["alert"])
        chunks.append(chunk)
    calibrated = bool(getattr(estimator, "needs_calibration", False))
    json.dump({"nannyml": nml.__version__, "chunk_size": CHUNK, "calibrated": calibrated,
               "reference_rows": len(reference), "analysis_rows": len(analysis),
               "chunks": chunks}, sys.stdout, indent=1)
    print()


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
