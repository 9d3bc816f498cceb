"""Detection state follows its partition (issue 13): real broker, real worker processes, each
with its own store (chDB is single-process), so state can move only through Kafka.

Six models with known change points share four partitions. Whatever happens to the workers
mid-stream - one SIGKILLed, a third one joining, a single one restarted - every model must get
exactly one retrain trigger, after its change and within one window of what ``tripwire replay``
reports for the same events, and the drift windows must be replay's exactly: an event lost or
counted twice in an open window would change them.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import pytest
from _failover import MODELS, Stream, check_against_replay, send, wait_drained

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ENV = {"TRIPWIRE_SNAPSHOT_INTERVAL_S": "3"}
FIGURES = Path(__file__).resolve().parents[2] / ".tripwire-figures"


@pytest.fixture(scope="module")
def stream() -> Stream:
    return Stream.build()


@pytest.fixture(autouse=True)
def _copartitioned(worker_factory):
    """Every worker of every test got the same partition numbers of every input topic."""
    yield
    for worker in getattr(worker_factory, "started", []):
        assert "not co-partitioned" not in worker.log_tail(10**7), worker.data_dir


def _report(name: str, figures: dict) -> None:
    """Figures for the docs (printed with -s, and kept in .tripwire-figures/)."""
    FIGURES.mkdir(exist_ok=True)
    (FIGURES / f"{name}.json").write_text(json.dumps(figures, indent=1))
    print(f"FIGURES {name}: {json.dumps(figures)}")


def _checkpointed(worker) -> bool:
    return worker.state()["checkpoints"]["entities"] > 0


def _all_checkpointed(worker) -> bool:
    """Every model the worker holds has a checkpoint (one interval writes them partition by
    partition: a SIGKILL after the first partition's write would leave the rest without)."""
    entities = worker.state()["entities"]
    return len(entities) >= len(MODELS) and all(e["checkpoint_bytes"] for e in entities)


def _partitions(worker) -> list[int]:
    return worker.state()["partitions"]


def _wait(predicate, timeout: float = 60.0, what: str = "condition") -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what} not met in {timeout}s")


@pytest.mark.parametrize("interval", ["3", "0"], ids=["checkpoints", "no-checkpoint"])
def test_sigkill_of_one_worker_mid_stream(broker, broker_kind, worker_factory, tmp_path,
                                          stream, interval) -> None:
    """With checkpoints every 3 s the survivor restores them; with none (interval 0) it
    rebuilds the moved entities from the partitions' history up to the committed offsets."""
    env = {"TRIPWIRE_SNAPSHOT_INTERVAL_S": interval}
    a = worker_factory(tmp_path / "a", **env)
    b = worker_factory(tmp_path / "b", **env)
    _wait(lambda: len(_partitions(a)) + len(_partitions(b)) == 4 and
          _partitions(a) and _partitions(b), what="both workers own partitions")
    send(broker, stream.before(0.35))
    wait_drained(broker)
    if interval != "0":
        _wait(lambda: _checkpointed(a) and _checkpointed(b), 30, "a checkpoint on each worker")

    rest = threading.Thread(target=send, args=(broker, stream.after(0.35)))
    rest.start()
    time.sleep(0.3)
    moved = _partitions(a)
    a.kill(signal.SIGKILL)  # mid-stream, before any model's change
    killed = time.monotonic()
    rest.join()
    taken = _wait(lambda: len(_partitions(b)) == 4, 90, "the survivor owns every partition")
    drained = wait_drained(broker)
    state = b.state()
    if interval == "0":
        assert state["restores"]["events_caught_up"] > 0, state["restores"]
    else:
        assert state["restores"]["entities"] > 0, state["restores"]
    delays = check_against_replay(broker, stream)
    sizes = [e["checkpoint_bytes"] for e in state["entities"] if e["checkpoint_bytes"]]
    _report(f"failover_sigkill_{interval}s_{broker_kind}", {
        "moved_partitions": moved, "rebalance_s": round(taken, 1),
        "restore_s": state["restores"]["seconds"],
        "events_caught_up": state["restores"]["events_caught_up"],
        "drained_after_kill_s": round(time.monotonic() - killed, 1),
        "drain_s": round(drained, 1), "checkpoint_bytes_per_model": sizes, "delays": delays})


def test_a_third_worker_joining_takes_partitions_with_their_state(
        broker, broker_kind, worker_factory, tmp_path, stream) -> None:
    a = worker_factory(tmp_path / "a", **ENV)
    b = worker_factory(tmp_path / "b", **ENV)
    _wait(lambda: _partitions(a) and _partitions(b), what="both workers own partitions")
    send(broker, stream.before(0.35))
    wait_drained(broker)
    c = worker_factory(tmp_path / "c", **ENV)
    _wait(lambda: bool(_partitions(c)), 90, "the new worker owns partitions")
    send(broker, stream.after(0.35))
    wait_drained(broker)
    assert c.state()["restores"]["entities"] > 0
    delays = check_against_replay(broker, stream)
    _report(f"failover_join_{broker_kind}", {"joined_partitions": _partitions(c), "delays": delays})


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_restart_on_the_same_data_dir_counts_nothing_twice(
        broker, worker_factory, tmp_path, stream, stop) -> None:
    data = tmp_path / "data"
    worker = worker_factory(data, **ENV)
    send(broker, stream.before(0.45))
    wait_drained(broker)
    _wait(lambda: _all_checkpointed(worker), 30, "a checkpoint of every model")
    worker.kill(signal.SIGTERM if stop == "sigterm" else signal.SIGKILL)
    restarted = worker_factory(data, **ENV)
    send(broker, stream.after(0.45))
    wait_drained(broker)
    assert restarted.state()["restores"]["entities"] == len(MODELS)
    check_against_replay(broker, stream)
