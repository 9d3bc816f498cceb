"""Detection quality of the model monitor on River's synthetic streams with known change points.

Every stream goes through ``streams.monitor.Monitor`` with the default ``MonitorConfig``
(window_events 1000, reference_events 2000, min_labels 200, retrain on ``accuracy.decay`` or
``drift.share``). The model is a ``HoeffdingTreeClassifier`` fitted on 5,000 samples of
``Agrawal(classification_function=0)`` (another seed) and then frozen, or for SEA the rule
``x0 + x1 > 8``; labels (5 % flipped) arrive 60 s after their prediction; 10 predictions/s.
The change point is ``6000 + 137 * seed`` (off the window grid). Figures are printed; run with
``-s`` (or ``-rP``) to see them, see ``docs/detection-quality.md``.
"""

from __future__ import annotations

import os

import pytest
from _streams import (
    RATE,
    T0,
    frozen_tree,
    index_at,
    model_events,
    run,
    shifted,
    spread,
    take,
    triggers,
)
from river.datasets import synth

SEEDS = (1, 2, 3)
WINDOW = 1000  # MonitorConfig().window_events
AFTER = 8000  # predictions after the change


def change_at(seed: int) -> int:
    return 6000 + 137 * seed


@pytest.fixture(scope="module")
def agrawal_model():
    return frozen_tree(synth.Agrawal(classification_function=0, seed=1000), 5000)


def _measure(records: list[dict], events: list[dict], change: int) -> dict:
    """Delays of the first retrain after ``change`` and the false alarms before it."""
    change_ts = T0 + change / RATE
    early = [r for r in records if r.get("kind") in ("alert", "trigger") and r["ts"] < change_ts
             and r.get("state", "firing") == "firing"]
    retrains = [t for t in triggers(records, "retrain") if t["ts"] >= change_ts]
    out = {"false_alarms": len(early), "early": early, "retrains": retrains,
           "alerts_after": [r for r in records if r.get("kind") == "alert"
                            and r["ts"] >= change_ts and r["state"] == "firing"]}
    if retrains:
        first = retrains[0]
        out["delay_events"] = round(index_at(first["ts"]) - change)
        out["delay_windows"] = out["delay_events"] / WINDOW
        out["delay_labels"] = sum(1 for e in events if e["type"] == "label"
                                  and e["ts"] <= first["ts"]
                                  and int(e["prediction_id"].rsplit("-", 1)[1]) >= change)
        out["reason"] = first["reason"]
    return out


def _report(name: str, results: list[dict]) -> None:
    delays = [r["delay_events"] for r in results if "delay_events" in r]
    labels = [r["delay_labels"] for r in results if "delay_labels" in r]
    print(f"\nFIGURES {name}: detected {len(delays)}/{len(results)}, delay events "
          f"{spread(delays)}, windows {spread([d / WINDOW for d in delays])}, labels "
          f"{spread(labels)}, false alarms {sum(r['false_alarms'] for r in results)}, "
          f"reasons {[r.get('reason') for r in results]}")


# -- (a) abrupt concept + covariate change ---------------------------------------------------------
@pytest.fixture(scope="module")
def abrupt(agrawal_model) -> list[dict]:
    results = []
    for seed in SEEDS:
        change = change_at(seed)
        before = take(synth.Agrawal(classification_function=0, seed=seed), change)
        after = shifted(take(synth.Agrawal(classification_function=2, seed=seed + 100), AFTER),
                        {"age": lambda a: min(a + 10, 80), "salary": lambda s: s * 1.2})
        events = model_events(before + after, agrawal_model, seed=seed, label_noise=0.05)
        results.append(_measure(run(events), events, change))
    _report("ML(a) abrupt concept (Agrawal f0->f2) + covariate (age+10, salary*1.2)", results)
    return results


def test_abrupt_change_triggers_retrain_within_five_windows(abrupt):
    for r in abrupt:
        assert r["retrains"], "no retrain after an abrupt concept + covariate change"
        assert r["delay_windows"] <= 5, r
        assert any(x.startswith("accuracy.decay") for x in r["reason"]), r["reason"]


def test_abrupt_change_no_alarm_before_the_change(abrupt):
    assert [r["early"] for r in abrupt] == [[]] * len(abrupt)


def test_abrupt_change_also_flags_the_shifted_features(abrupt):
    for r in abrupt:
        drifted = {a["dimension"] for a in r["alerts_after"] if a["metric"].startswith("drift.")}
        assert {"age", "salary"} <= drifted, drifted


# -- (b) stable stream: no retrain -----------------------------------------------------------------
@pytest.fixture(scope="module")
def stable(agrawal_model) -> list[list[dict]]:
    runs = []
    for seed in SEEDS:
        samples = take(synth.Agrawal(classification_function=0, seed=seed), 50_000)
        runs.append(run(model_events(samples, agrawal_model, seed=seed, label_noise=0.05)))
    counts = [len([r for r in out if r.get("kind") == "alert" and r["state"] == "firing"])
              for out in runs]
    names = sorted({(r["metric"], r["dimension"]) for out in runs for r in out
                    if r.get("kind") == "alert"})
    print(f"\nFIGURES ML(b) stable 3 x 50,000 predictions: triggers "
          f"{[len(triggers(out)) for out in runs]}, firing alerts {counts} {names}")
    return runs


def test_stable_stream_never_triggers_retrain(stable):
    assert [triggers(out) for out in stable] == [[]] * len(stable)


def test_stable_stream_reference_and_windows(stable):
    for out in stable:
        assert [r["kind"] for r in out].count("reference") == 1
        shares = [r for r in out if r.get("metric") == "drift.share"]
        assert len(shares) == (50_000 - 2000) // WINDOW
        accuracy = [r["value"] for r in out if r.get("metric") == "accuracy"]
        assert len(accuracy) == 50_000 // 200 and min(accuracy) > 0.85


# -- (c) covariate drift on one feature, labels unaffected -----------------------------------------
@pytest.fixture(scope="module")
def one_feature(agrawal_model) -> list[dict]:
    results = []
    for seed in SEEDS:
        change = change_at(seed)
        before = take(synth.Agrawal(classification_function=0, seed=seed), change)
        after = shifted(take(synth.Agrawal(classification_function=0, seed=seed + 100), AFTER),
                        {"loan": lambda v: v * 0.6})
        events = model_events(before + after, agrawal_model, seed=seed, label_noise=0.05)
        out = run(events)
        r = _measure(out, events, change)
        loan = [a for a in r["alerts_after"] if a["dimension"] == "loan"]
        r["loan_delay_events"] = round(index_at(loan[0]["ts"]) - change) if loan else None
        r["drift_share_max"] = max(s["value"] for s in out if s.get("metric") == "drift.share")
        results.append(r)
    delays = [r["loan_delay_events"] for r in results if r["loan_delay_events"] is not None]
    print(f"\nFIGURES ML(c) covariate drift on 'loan' only (x0.6): loan alert in "
          f"{len(delays)}/{len(results)}, delay events {spread(delays)}, windows "
          f"{spread([d / WINDOW for d in delays])}, retrains "
          f"{[len(r['retrains']) for r in results]}, max drift.share "
          f"{[r['drift_share_max'] for r in results]}, false alarms "
          f"{sum(r['false_alarms'] for r in results)}")
    return results


def test_one_feature_drift_alerts_on_that_feature_only(one_feature):
    for r in one_feature:
        assert r["false_alarms"] == 0, r["early"]
        assert r["loan_delay_events"] is not None and r["loan_delay_events"] <= 3 * WINDOW
        others = {(a["metric"], a["dimension"]) for a in r["alerts_after"]
                  if a["dimension"] != "loan"}
        assert others == set(), others


def test_one_feature_drift_does_not_retrain(one_feature):
    # 1 of 10 columns drifted: drift.share 0.1 < 0.5, and the accuracy did not move.
    for r in one_feature:
        assert r["retrains"] == [] and r["drift_share_max"] < 0.5


# -- (d) label-only decay: concept drift with the same inputs --------------------------------------
@pytest.fixture(scope="module")
def label_only(agrawal_model) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {"agrawal": [], "sea": []}
    for seed in SEEDS:
        change = change_at(seed)
        stream = synth.ConceptDriftStream(
            stream=synth.Agrawal(classification_function=0, seed=seed),
            drift_stream=synth.Agrawal(classification_function=2, seed=seed + 100),
            position=change, width=100, seed=seed)  # width >= position / 177: river overflows
        events = model_events(take(stream, change + AFTER), agrawal_model, seed=seed,
                              label_noise=0.05)
        results["agrawal"].append(_measure(run(events), events, change))
    for seed in (*SEEDS, 4, 5):
        change = change_at(seed)
        stream = synth.ConceptDriftStream(stream=synth.SEA(variant=0, seed=seed),
                                          drift_stream=synth.SEA(variant=2, seed=seed + 100),
                                          position=change, width=100, seed=seed)
        events = model_events(take(stream, change + 2 * AFTER),
                              lambda x: x[0] + x[1] > 8, model="sea", seed=seed,
                              label_noise=0.05)
        results["sea"].append(_measure(run(events), events, change))
    _report("ML(d) label-only Agrawal f0->f2 (same inputs)", results["agrawal"])
    _report("ML(d) label-only SEA threshold 8->7 (~7.5 % of labels change)", results["sea"])
    return results


@pytest.mark.parametrize("stream", ["agrawal", "sea"])
def test_label_only_decay_retrains_via_accuracy(label_only, stream):
    for r in label_only[stream]:
        assert r["false_alarms"] == 0, r["early"]
        assert r["retrains"], "no retrain after a label-only concept change"
        assert r["reason"] == [x for x in r["reason"] if x.startswith("accuracy.decay")], r
        assert r["delay_windows"] <= 5, r


def test_label_only_decay_raises_no_drift_alert(label_only):
    for r in label_only["agrawal"] + label_only["sea"]:
        assert [a for a in r["alerts_after"] if a["metric"].startswith("drift.")] == []


# -- (e) broad covariate change without labels: retrain via drift.share ----------------------------
@pytest.fixture(scope="module")
def broad(agrawal_model) -> list[dict]:
    results = []
    shift = {"salary": lambda v: v * 1.3, "commission": lambda v: v * 1.3,
             "age": lambda v: min(v + 10, 80), "hvalue": lambda v: v * 1.3,
             "hyears": lambda v: min(v + 8, 30), "loan": lambda v: v * 0.6}
    for seed in range(1, 11):  # 10 seeds: the delay distribution of the fast path
        change = change_at(seed)
        before = take(synth.Agrawal(classification_function=0, seed=seed), change)
        after = shifted(take(synth.Agrawal(classification_function=0, seed=seed + 100), AFTER),
                        shift)
        events = [e for e in model_events(before + after, agrawal_model, seed=seed)
                  if e["type"] == "prediction"]
        results.append(_measure(run(events), events, change))
    _report("ML(e) covariate change on 6 of 9 features, no labels (10 seeds)", results)
    return results


def test_broad_covariate_change_retrains_within_1000_predictions(broad):
    # most features move together: drift.burst (a quarter-window mean scan) calls it before
    # the 2-window drift.share rule could
    for r in broad:
        assert r["false_alarms"] == 0, r["early"]
        assert r["retrains"] and r["delay_events"] <= 1000, r
        assert any(x.startswith(("drift.burst", "drift.share")) for x in r["reason"]), r


# -- (f) the retrained model, deployed as a new version, is judged on its own accuracy -------------
def test_new_model_version_gets_its_own_accuracy_reference(agrawal_model):
    # 1 prediction/s; concept f0 -> f2 at 6,000; v2 (a tree fitted on f2, accuracy ~0.83, stable)
    # replaces v1 at 10,000; the stream runs 8,000 s past v2's deployment.
    retrained = frozen_tree(synth.Agrawal(classification_function=2, seed=1001), 5000)
    change, deploy, rate = 6000, 10_000, 1.0
    samples = (take(synth.Agrawal(classification_function=0, seed=1), change)
               + take(synth.Agrawal(classification_function=2, seed=101), 12_000))

    def predict(x: dict) -> int:
        return retrained(x) if x["_i"] >= deploy else agrawal_model(x)

    tagged = [({**x, "_i": i}, y) for i, (x, y) in enumerate(samples)]
    events = model_events(tagged, predict, seed=1, label_noise=0.05, rate=rate)
    for e in events:
        if e["type"] == "prediction":
            if e["features"].pop("_i") >= deploy:
                e["model_version"] = "v2"
    out = run(events)
    retrains = triggers(out, "retrain")
    decay = [a["state"] for a in out if a.get("kind") == "alert"
             and a["metric"] == "accuracy.decay"]
    # one retrain for the change; once v2 (stable) has its own history the decay alert resolves
    # (today it stays firing: v2's ~0.83 is judged against v1's 0.94 reference; at 10
    # predictions/s it flaps and re-triggers retrain every 6 h)
    v2_settled = T0 + (deploy + 2000) / rate
    assert len(retrains) == 1 and [t for t in retrains if t["ts"] > v2_settled] == []
    assert decay[-1:] == ["resolved"], decay


# -- (g) stable high-cardinality categorical features ----------------------------------------------
def test_stable_high_cardinality_categories_raise_no_alert():
    import random

    rng = random.Random(1)
    samples = [({"state": f"s{rng.randrange(100)}",
                 "sku": f"z{min(int(rng.paretovariate(1.2)), 500)}", "x": rng.gauss(0, 1)}, 0)
               for _ in range(20_000)]
    events = [e for e in model_events(samples, lambda x: int(x["x"] > 0), model="shop")
              if e["type"] == "prediction"]
    out = run(events)
    noise = {d: max(r["value"] for r in out if r.get("metric") == "drift.jensenshannon"
                    and r["dimension"] == d) for d in ("state", "sku")}
    print(f"\nFIGURES ML(g) stable categorical, max JS per window {noise}, firing alerts "
          f"{sorted({a['dimension'] for a in out if a.get('kind') == 'alert'})}, triggers "
          f"{len(triggers(out))}")
    assert [r for r in out if r.get("kind") in ("alert", "trigger")] == []


# -- stable-stream false retrain rate by accuracy level (opt-in, ~100 s) ---------------------------
@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("TRIPWIRE_SCENARIOS_FULL"),
                    reason="set TRIPWIRE_SCENARIOS_FULL=1 (20 seeds x 50,000 labels x 3 levels)")
@pytest.mark.parametrize("label_noise", [0.05, 0.15, 0.3])
def test_stable_false_retrain_rate_sweep(label_noise):
    with_retrain = 0
    for seed in range(1, 21):
        samples = take(synth.SEA(variant=0, seed=seed), 50_000)
        out = run(model_events(samples, lambda x: x[0] + x[1] > 8, model="sea", seed=seed,
                               label_noise=label_noise))
        with_retrain += bool(triggers(out))
    print(f"\nFIGURES ML(b') stable SEA, accuracy ~{1 - label_noise:.2f}: streams with a retrain "
          f"{with_retrain}/20 (50,000 labels each)")
    assert with_retrain <= 2
