"""Micro-benchmark of ``Emitter.prediction`` on the caller's thread (SDK only, no worker).

The timed call is the one of ``benchmarks.pipeline.bench_ingest`` (20 float features, score,
model_version, event_id and ts; GC disabled while timing, ``perf_counter_ns`` per call), in
three settings, so that what the caller's thread pays is told apart from what the sender
thread and the broker take from it:

- ``broker``: a real sender thread sending to an embedded broker (Tansu, fresh, free port);
- ``unreachable``: the sender thread exists but cannot connect (events stay queued);
- ``build``: the caller's own work without any thread (build + encode + a bounded queue put).

Run: ``python -m benchmarks.sdk_emit [n] [runs] [settings,...] [emitter options as JSON]``;
prints one JSON line per run and setting.
"""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from tripwire_sdk import Emitter, names

__all__ = ["bench_sdk_emit", "time_calls", "summary"]

SETTINGS = ("broker", "unreachable", "build")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _payloads(count: int = 4096) -> list[dict[str, float]]:
    rng = random.Random(1)
    return [{f"f{j:02d}": round(rng.gauss(0.0, 1.0), 4) for j in range(20)}
            for _ in range(count)]


_RUSAGE: dict[str, Any] = {}  # the timing thread's page faults and context switches, last run
_CPU: dict[str, float] = {}  # CPU clocks when the timed calls start
_THREADS: dict[str, float] = {}  # CPU seconds per thread when the timed calls start


def time_calls(emit: Callable[[int], Any], n: int,
               every_1024: Callable[[], Any] | None = None) -> list[int]:
    """Call ``emit(i)`` n times; per-call nanoseconds, GC disabled (as ``bench_ingest``).
    ``every_1024`` runs untimed after every 1024th call."""
    laps = [0] * n
    clock = time.perf_counter_ns
    before = resource.getrusage(resource.RUSAGE_THREAD)
    gc.disable()
    try:
        for i in range(n):
            start = clock()
            emit(i)
            laps[i] = clock() - start
            if every_1024 is not None and not i & 1023:
                every_1024()
    finally:
        gc.enable()
    after = resource.getrusage(resource.RUSAGE_THREAD)
    _RUSAGE.update(minflt=after.ru_minflt - before.ru_minflt,
                   vcsw=after.ru_nvcsw - before.ru_nvcsw,
                   ivcsw=after.ru_nivcsw - before.ru_nivcsw)
    return laps


def summary(laps: list[int]) -> dict[str, float]:
    """p50/p90/p99/p99.9/max in microseconds and the share of calls above 8 and 20 us."""
    ordered = sorted(laps)
    last = len(ordered) - 1

    def pct(q: float) -> float:
        return round(ordered[min(last, int(q * len(ordered)))] / 1000, 2)

    return {"p50_us": pct(0.5), "p90_us": pct(0.9), "p99_us": pct(0.99),
            "p999_us": pct(0.999), "max_us": pct(1.0),
            "over_8us_pct": round(100 * sum(1 for x in laps if x > 8000) / len(laps), 3),
            "over_20us_pct": round(100 * sum(1 for x in laps if x > 20000) / len(laps), 3)}


def thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) per thread of this process, by Python thread name (Linux)."""
    import threading

    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(tid), f"native-{tid}")
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _emit_loop(emitter: Emitter, n: int) -> list[int]:
    payloads = _payloads()
    t0 = time.time() - n / 1000
    for i in range(2000):  # warm-up (connection, caches); not timed
        emitter.prediction("warmup", payloads[i % 4096], 0, event_id=f"w{i}")
    emitter.flush(30)
    _CPU.update(thread=time.thread_time(), process=time.process_time())
    _THREADS.clear()
    _THREADS.update(thread_cpu())
    return time_calls(lambda i: emitter.prediction(
        "bench-model", payloads[i % 4096], i % 2, score=0.5, model_version="v1",
        event_id=f"e{i}", ts=t0 + i / 1000), n)


def _with_broker(n: int, **options: Any) -> tuple[list[int], dict[str, int]]:
    from tripwire.embedded import EmbeddedBroker, ensure_topics

    with EmbeddedBroker(_free_port()) as broker:
        ensure_topics(broker.bootstrap, 4, (names.PREDICTIONS,))
        emitter = Emitter(bootstrap=broker.bootstrap, service="bench", max_queue=n + 10,
                          flush_at_exit=False, **options)
        try:
            laps = _emit_loop(emitter, n)
            caller_s = time.thread_time() - _CPU["thread"]
            emitter.flush(120)
            _RUSAGE["process_cpu_s"] = round(time.process_time() - _CPU["process"], 3)
            _RUSAGE["caller_cpu_s"] = round(caller_s, 3)
            _RUSAGE["other_threads_cpu_us_per_event"] = round(
                (_RUSAGE["process_cpu_s"] - caller_s) / n * 1e6, 2)
            _RUSAGE["threads_cpu_s"] = {k: round(v - _THREADS.get(k, 0.0), 2)
                                        for k, v in thread_cpu().items()
                                        if v - _THREADS.get(k, 0.0) > 0.005}
            return laps, emitter.stats
        finally:
            emitter.close(10)


def _unreachable(n: int, **options: Any) -> tuple[list[int], dict[str, int]]:
    emitter = Emitter(bootstrap=f"127.0.0.1:{_free_port()}", service="bench",
                      max_queue=n + 2010, flush_at_exit=False)
    try:
        payloads = _payloads()
        t0 = time.time() - n / 1000
        laps = time_calls(lambda i: emitter.prediction(
            "bench-model", payloads[i % 4096], i % 2, score=0.5, model_version="v1",
            event_id=f"e{i}", ts=t0 + i / 1000), n)
        return laps, emitter.stats
    finally:
        emitter.close(0)


def _build_only(n: int, **options: Any) -> tuple[list[int], dict[str, int]]:
    """The caller's work alone: an emitter whose thread is never started; its queue is emptied
    (untimed) every 1024 calls, as if a sender kept up without taking any CPU."""
    emitter = Emitter(bootstrap="127.0.0.1:9", service="bench", max_queue=n + 10,
                      flush_at_exit=False)
    emitter.close(0)  # stops the thread; then re-open the pipe for timing without a thread
    emitter._closed = False
    emitter._new_pipe()
    emitter._sender = object()  # type: ignore[assignment]  # never started: no thread at all
    payloads = _payloads()
    t0 = time.time() - n / 1000
    laps = time_calls(lambda i: emitter.prediction(
        "bench-model", payloads[i % 4096], i % 2, score=0.5, model_version="v1",
        event_id=f"e{i}", ts=t0 + i / 1000), n, emitter._pipe.queue.clear)
    return laps, emitter.stats


_RUNNERS = {"broker": _with_broker, "unreachable": _unreachable, "build": _build_only}


def bench_sdk_emit(n: int = 200_000, setting: str = "broker", **options: Any) -> dict[str, Any]:
    """One run of ``n`` timed calls in ``setting`` (one of SETTINGS); figures in us.
    ``options`` go to the Emitter (``broker`` only), except ``stdlib_json=True``: run as if
    orjson were not installed."""
    _RUSAGE.clear()
    stdlib = bool(options.pop("stdlib_json", False))
    if stdlib:  # as if orjson were not installed (the SDK's own dependencies only)
        import tripwire_sdk._encode as encode

        saved, encode._orjson = encode._orjson, None
    try:
        laps, stats = _RUNNERS[setting](n, **options)
    finally:
        if stdlib:
            encode._orjson = saved
    return {"setting": setting + ("/stdlib-json" if stdlib else ""), "n": n, **summary(laps),
            "load1": round(os.getloadavg()[0], 2), **_RUSAGE, "stats": stats}


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 200_000
    runs = int(argv[1]) if len(argv) > 1 else 3
    settings = argv[2].split(",") if len(argv) > 2 else list(SETTINGS)
    options = json.loads(argv[3]) if len(argv) > 3 else {}
    for _ in range(runs):
        for setting in settings:
            print(json.dumps(bench_sdk_emit(n, setting, **options)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
