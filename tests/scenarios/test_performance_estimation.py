"""Label-free performance (CBPE) in the monitor, against NannyML's own CBPE, and the fast
covariate-shift alarm (``drift.burst``) on real data.

* Car loan (NannyML's synthetic set, read from the nannyml wheel): reference 50,000
  predictions each followed by its label, analysis 50,000 without labels; realised ROC AUC
  ~0.970 before analysis row 25,000 and ~0.959 after. With windows of 5,000 (NannyML's chunks)
  Tripwire's ``estimated.*`` is compared per chunk with NannyML 0.13.1's CBPE
  (``fixtures/nannyml_cbpe_car_loan.json``, made by ``tools/nannyml_cbpe_car_loan.py``) and
  with the realised values from the analysis targets.
* The same stream with default settings, and a scored stable stream: no false alarm.
* scikit-learn's UCI breast cancer rows with a covariate shift: retrain delay.

Figures are printed (``FIGURES`` lines; run with ``-s``); see docs/detection-quality.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _streams import RATE, T0, alerts, run, spread, triggers

from benchmarks.datasets import DatasetMissing
from detectors.performance import ESTIMATED_METRICS, auc_expected, confusion_metrics
from streams.monitor import ModelOverrides, Monitor, MonitorConfig

FIXTURE = Path(__file__).parent / "fixtures" / "nannyml_cbpe_car_loan.json"
CHUNK = 5000


@pytest.fixture(scope="module")
def car_loan():
    from _car_loan import analysis_targets, car_loan_events

    try:
        events, start = car_loan_events()
        targets = analysis_targets()
    except DatasetMissing as exc:
        pytest.skip(str(exc))
    return events, start, targets


def _signals(out: list[dict], prefix: str, since: float) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for r in out:
        if r.get("kind") == "signal" and r["metric"].startswith(prefix) \
                and r["window_start"] >= since:
            found.setdefault(r["metric"].split(".", 1)[1], []).append(r)
    return found


def _realised(frame) -> dict[str, float]:
    y, pred = frame["repaid"].to_numpy(), frame["y_pred"].to_numpy()
    tp, fp = int(((pred == 1) & (y == 1)).sum()), int(((pred == 1) & (y == 0)).sum())
    fn, tn = int(((pred == 0) & (y == 1)).sum()), int(((pred == 0) & (y == 0)).sum())
    out = confusion_metrics(tp, fp, fn, tn)
    out["auc"] = auc_expected(frame["y_pred_proba"].to_numpy(), y.astype(float))  # type: ignore
    return out


@pytest.fixture(scope="module")
def chunked(car_loan):
    events, start, targets = car_loan
    config = MonitorConfig(models={"car-loan": ModelOverrides(window_events=CHUNK,
                                                              reference_events=CHUNK)})
    monitor, out = Monitor(config), []
    for i in range(0, len(events), 2000):
        out += monitor.observe(events[i:i + 2000])
    nml = json.loads(FIXTURE.read_text())
    ours = _signals(out, "estimated.", start)
    realised = [_realised(targets.iloc[i * CHUNK:(i + 1) * CHUNK]) for i in range(10)]
    table = {}
    for m in ESTIMATED_METRICS:
        est = [r["value"] for r in ours[m]]
        theirs = [c["estimated"][m] for c in nml["chunks"]]
        real = [r[m] for r in realised]
        table[m] = {
            "ours": est, "nannyml": theirs, "realised": real,
            "mae_ours": float(np.mean(np.abs(np.subtract(est, real)))),
            "mae_nannyml": float(np.mean(np.abs(np.subtract(theirs, real)))),
            "flag_ours": [i for i, r in enumerate(ours[m]) if r["threshold"] is not None
                          and r["value"] < r["threshold"]],
            "flag_nannyml": [c["index"] for c in nml["chunks"] if c["alert"][m]],
            "lower_ours": ours[m][0]["threshold"], "lower_nannyml": nml["chunks"][0]["lower"][m]}
    for m, row in table.items():
        print(f"\nFIGURES car loan {m}: MAE ours {row['mae_ours']:.5f} nannyml "
              f"{row['mae_nannyml']:.5f}; flagged ours {row['flag_ours']} nannyml "
              f"{row['flag_nannyml']}; lower bound ours {row['lower_ours']:.4f} nannyml "
              f"{row['lower_nannyml']:.4f}")
        for i in range(10):
            print(f"FIGURES car loan {m} chunk {i}: ours {row['ours'][i]:.4f} nannyml "
                  f"{row['nannyml'][i]:.4f} realised {row['realised'][i]:.4f}")
    return table, nml, realised, out


def test_realised_values_agree_with_the_fixture(chunked):
    _, nml, realised, _ = chunked
    for chunk, ours in zip(nml["chunks"], realised, strict=True):
        for m in ESTIMATED_METRICS:
            assert ours[m] == pytest.approx(chunk["realised"][m], abs=1e-9)


def test_estimate_is_at_least_as_close_as_nannyml(chunked):
    table = chunked[0]
    for m, row in table.items():
        assert len(row["ours"]) == 10, m  # one estimate per analysis chunk, same bounds
        assert row["mae_ours"] <= row["mae_nannyml"] + 1e-4, (m, row)


def test_flags_the_same_chunks_as_nannyml(chunked):
    for m, row in chunked[0].items():
        assert row["flag_ours"] == row["flag_nannyml"] == [5, 6, 7, 8, 9], m


def test_estimate_drop_raises_alerts_and_a_retrain(chunked):
    out = chunked[3]
    firing = {a["metric"] for a in alerts(out)}
    assert {f"estimated.{m}" for m in ESTIMATED_METRICS} <= firing
    reasons = [x for t in triggers(out, "retrain") for x in t["reason"]]
    assert any(x.startswith("estimated.sustained") for x in reasons), reasons


def test_default_settings_on_car_loan(car_loan):
    events, start, _ = car_loan
    out = run(events)
    before = [r for r in out if r.get("kind") in ("alert", "trigger") and r["ts"] < start]
    est = _signals(out, "estimated.", 0.0)["accuracy"]
    flagged_before = [r for r in est if r["window_start"] < start and r["threshold"]
                      is not None and r["value"] < r["threshold"]]
    errors = _signals(out, "estimate_error.", 0.0)["accuracy"]
    half = start + (est[-1]["window_end"] - start) / 2
    after = [a for a in alerts(out) if a["metric"].startswith("estimated.")]
    print(f"\nFIGURES car loan, default settings: estimated.accuracy windows {len(est)}, "
          f"flagged before analysis {len(flagged_before)}, alerts/triggers before analysis "
          f"{len(before)}, |error| max {max(abs(r['value']) for r in errors):.4f} over "
          f"{len(errors)} labelled windows, first estimated.* alert at analysis row "
          f"{round((after[0]['ts'] - start) / (est[-1]['window_end'] - start) * 50_000)}")
    assert before == [] and flagged_before == []
    assert len(errors) >= 40 and max(abs(r["value"]) for r in errors) < 0.03
    assert after and all(a["ts"] > half - 600 for a in after)  # after analysis row ~25,000


# -- breast cancer: a stable scored stream and a covariate shift -----------------------------
@pytest.fixture(scope="module")
def breast_cancer():
    pytest.importorskip("sklearn")
    from _breast_cancer import breast_cancer_events

    stable = [run(breast_cancer_events(50_000, seed=s)) for s in (1, 2, 3)]
    shifted: dict[str, list[int | None]] = {}
    early = 0
    for shift in ("bigger", "scaled"):
        for seed in range(1, 11):
            change = 6000 + 137 * seed
            out = run(breast_cancer_events(change + 4000, seed=seed, change=change,
                                           shift=shift))
            change_ts = T0 + change / RATE
            early += len([r for r in out if r.get("kind") in ("alert", "trigger")
                          and r["ts"] < change_ts and r.get("state", "firing") == "firing"])
            after = [t for t in triggers(out, "retrain") if t["ts"] >= change_ts]
            shifted.setdefault(shift, []).append(
                round((after[0]["ts"] - T0) * RATE - change) if after else None)
    for shift, delays in shifted.items():
        print(f"\nFIGURES breast cancer covariate shift '{shift}', 10 seeds: retrain delay "
              f"{spread([d for d in delays if d is not None])} predictions, missed "
              f"{delays.count(None)}, alarms before the change (all runs) {early}")
    names = sorted({(a["metric"], a["dimension"]) for o in stable for a in alerts(o)})
    print(f"FIGURES breast cancer stable 3 x 50,000: triggers "
          f"{[len(triggers(o)) for o in stable]}, firing alerts "
          f"{[len(alerts(o)) for o in stable]} {names}")
    return stable, shifted, early


def test_breast_cancer_shift_retrains_within_1000_predictions(breast_cancer):
    _, shifted, early = breast_cancer
    assert early == 0
    for delays in shifted.values():
        assert None not in delays and max(delays) <= 1000, delays  # type: ignore[type-var]


def test_breast_cancer_stable_stream_never_retrains_nor_alerts_on_estimates(breast_cancer):
    stable = breast_cancer[0]
    assert [triggers(o) for o in stable] == [[]] * 3
    for out in stable:
        assert [a for a in alerts(out) if a["metric"].startswith(("estimated.", "drift.burst"))
                ] == []
