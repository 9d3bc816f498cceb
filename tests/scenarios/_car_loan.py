"""NannyML's synthetic car loan set as a Tripwire event stream (read from the nannyml wheel).

Reference rows (50,000, with targets) become a prediction each followed by its label; analysis
rows (50,000) become predictions only (their targets, ``synthetic_car_loan_analysis_target.csv``,
are the realised truth the estimate is compared with). Event time is the set's ``timestamp``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from tripwire_sdk.events import validate

from benchmarks.datasets import nannyml_file

__all__ = ["FEATURES", "MODEL", "analysis_targets", "car_loan_events"]

MODEL = "car-loan"
FEATURES = ("car_value", "salary_range", "debt_to_income_ratio", "loan_length",
            "repaid_loan_on_prev_car", "size_of_downpayment", "driver_tenure")


def _frame(name: str) -> pd.DataFrame:
    frame = pd.read_csv(nannyml_file(name))
    frame["ts"] = pd.to_datetime(frame["timestamp"]).astype("int64") / 1e9
    return frame


def _prediction(row: Any, features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "prediction", "schema": 1, "event_id": f"p{row.id}", "ts": row.ts,
            "model": MODEL, "model_version": "v1", "prediction_id": str(row.id),
            "features": features, "prediction": int(row.y_pred),
            "score": float(row.y_pred_proba)}


def car_loan_events() -> tuple[list[dict[str, Any]], float]:
    """(events, event time of the first analysis prediction)."""
    events: list[dict[str, Any]] = []
    for name, labelled in (("synthetic_car_loan_reference.csv", True),
                           ("synthetic_car_loan_analysis.csv", False)):
        frame = _frame(name)
        feats = frame[list(FEATURES)].astype(object).where(frame[list(FEATURES)].notna(), None)
        for row, features in zip(frame.itertuples(index=False),
                                 feats.to_dict("records"), strict=True):
            events.append(validate(_prediction(row, features)))
            if labelled:
                events.append(validate({"type": "label", "schema": 1, "event_id": f"l{row.id}",
                                        "ts": row.ts, "model": MODEL,
                                        "prediction_id": str(row.id),
                                        "label": int(row.repaid)}))
        if not labelled:
            start = float(frame["ts"].iloc[0])
    return events, start


def analysis_targets() -> pd.DataFrame:
    """Analysis rows with their realised target (``repaid``), in stream order."""
    frame = _frame("synthetic_car_loan_analysis.csv")
    targets = pd.read_csv(nannyml_file("synthetic_car_loan_analysis_target.csv"))
    return frame.merge(targets, on="id")
