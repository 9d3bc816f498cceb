"""scikit-learn's bundled UCI breast cancer data (569 rows, 30 features) as a seeded stream.

A logistic regression fitted on every row gives ``prediction`` and ``score``; predictions draw
rows with replacement; from ``change`` on, rows are drawn from a shifted population (``shift``):
``"bigger"`` draws only tumours with a mean radius above the median (most size and texture
features move together), ``"scaled"`` multiplies every feature by 1.15 (a recalibrated
instrument). Labels are the rows' targets, ``LABEL_DELAY_S`` later, merged in event time.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np
from _streams import LABEL_DELAY_S, RATE, T0
from tripwire_sdk.events import validate

__all__ = ["breast_cancer_events"]


def _model() -> tuple[np.ndarray, np.ndarray, Any, list[str]]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(data.data, data.target)
    names = [n.replace(" ", "_") for n in data.feature_names]
    return data.data, data.target, model, names


def breast_cancer_events(n: int, *, seed: int, change: int | None = None,
                         shift: str = "bigger", labels: bool = True) -> list[dict[str, Any]]:
    x, y, model, names = _model()
    rng = np.random.default_rng(seed)
    big = np.flatnonzero(x[:, 0] > np.median(x[:, 0]))
    after = 0 if change is None else max(n - change, 0)
    rows = np.concatenate([rng.integers(0, len(x), n - after),
                           rng.choice(big, after) if shift == "bigger"
                           else rng.integers(0, len(x), after)])
    feats = x[rows] * np.where(np.arange(n) >= n - after, 1.15 if shift == "scaled" else 1.0,
                               1.0)[:, None]
    proba = model.predict_proba(feats)[:, 1]
    preds, labs = [], []
    for i in range(n):
        ts = T0 + i / RATE
        preds.append({"type": "prediction", "schema": 1, "event_id": f"bc-p{i}", "ts": ts,
                      "model": "breast-cancer", "model_version": "v1",
                      "prediction_id": f"bc-{i}", "prediction": int(proba[i] >= 0.5),
                      "score": round(float(proba[i]), 6),
                      "features": {k: round(float(v), 6) for k, v in zip(names, feats[i],
                                                                           strict=True)}})
        if labels:
            labs.append({"type": "label", "schema": 1, "event_id": f"bc-l{i}",
                         "ts": ts + LABEL_DELAY_S, "model": "breast-cancer",
                         "prediction_id": f"bc-{i}", "label": int(y[rows[i]])})
    return [validate(e) for e in heapq.merge(preds, labs, key=lambda e: e["ts"])]
