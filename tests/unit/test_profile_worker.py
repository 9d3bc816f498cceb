"""``python -m benchmarks.profile_worker``: the worker's batch path in one process, by stage."""

from __future__ import annotations

import cProfile
import pstats

from benchmarks.profile_worker import stage_costs


def test_stage_costs_cover_every_stage_and_add_up(chdb_path):
    profile = cProfile.Profile()
    result = stage_costs(2_000, profile=profile, dsn=chdb_path, database="profile_worker")
    costs = result["cpu_us_per_prediction"]
    assert result["predictions"] == 2_000
    assert set(costs) == {"decode", "admit", "monitor", "store", "engine and rest", "total"}
    assert all(costs[k] > 0 for k in ("decode", "monitor", "store"))
    assert abs(sum(v for k, v in costs.items() if k != "total") - costs["total"]) < 0.05
    # the profile saw the worker's own code, not only the harness
    seen = {f"{path}:{name}" for path, _, name in pstats.Stats(profile).stats}  # type: ignore[attr-defined]
    assert any("streams/ingest.py:process" in s for s in seen)
    assert any("streams/monitor/_monitor.py:observe" in s for s in seen)
