"""The Emitter: non-blocking, batched, bounded event emission that never raises into the host."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from ._build import make_label, make_llm, prediction_event
from ._defer import DEFER_MAX, deferrable
from ._encode import encode_event, fast_encoder
from ._lifecycle import kafka_importable, orphan, track, untrack, warn_noop
from ._pipe import Pipe
from ._ratelog import RateLimitedLog, logger
from ._schema import DEFAULT_LIMITS, EventError, Limits
from ._sender import Sender, producer_settings
from .names import LABELS, LLM, PREDICTIONS

ENV_BOOTSTRAP = "TRIPWIRE_KAFKA_BOOTSTRAP"
ENV_SERVICE = "TRIPWIRE_SERVICE"
EXIT_TIMEOUT = 5.0  # seconds the exit hook waits for a connected emitter to flush



def _setting(value: Any, env: str) -> str | None:
    if value is None:
        value = os.environ.get(env)
    if isinstance(value, (list, tuple)):  # bootstrap given as a list of host:port
        value = ",".join(str(v) for v in value)
    value = (str(value) if value is not None else "").strip()
    return value or None


def _positive(value: Any, default: int, name: str) -> int:
    try:
        number = int(value)
        if number > 0:
            return number
    except (TypeError, ValueError):
        pass
    logger.warning("tripwire_sdk: %s must be a positive integer; using %d", name, default)
    return default


def _mapping(value: Any, name: str) -> dict[str, Any]:
    try:
        return dict(value or {})
    except (TypeError, ValueError):
        logger.warning("tripwire_sdk: %s must be a dict; ignored", name)
        return {}


class Emitter:
    """Send prediction, label and LLM events to Kafka from any thread without blocking.

    Configuration resolves argument -> environment (``TRIPWIRE_KAFKA_BOOTSTRAP``,
    ``TRIPWIRE_SERVICE``) -> default. Without a bootstrap the emitter is a no-op that warns
    once and counts every call as dropped. Calls build the event, encode it (unless ``_defer``
    leaves that to the thread) and put it on a bounded queue; a daemon thread batches events per
    (topic, key) into JSON-array messages and sends them. Counters: ``emitted == sent + dropped
    + queued``; invalid calls are counted apart, and so is an event that the thread finds
    invalid when it encodes it (it moves from ``emitted`` to ``invalid``).
    """

    def __init__(self, bootstrap: str | None = None, service: str | None = None, *,
                 max_queue: int = 100_000, batch_size: int = 500, linger_ms: int = 20,
                 producer_config: dict[str, Any] | None = None,
                 limits: Limits | None = None, flush_at_exit: bool = True) -> None:
        self._bootstrap = _setting(bootstrap, ENV_BOOTSTRAP)
        self._service = _setting(service, ENV_SERVICE)
        self._limits = limits if isinstance(limits, Limits) else DEFAULT_LIMITS
        self._max_event_bytes = self._limits.max_event_bytes
        self._max_queue = _positive(max_queue, 100_000, "max_queue")
        self._batch_size = _positive(batch_size, 500, "batch_size")
        self._linger_ms = 0 if linger_ms == 0 else _positive(linger_ms, 20, "linger_ms")
        self._producer_config = _mapping(producer_config, "producer_config")
        self._flush_at_exit = bool(flush_at_exit)
        # Without orjson, encoding costs a call ~15 us: then _defer also checks the events it
        # cannot settle cheaply (strings, None), to leave their encoding to the sender as well.
        self._thorough = not fast_encoder()
        self._log = RateLimitedLog(10.0)
        self._start_lock = threading.Lock()
        self._closed = False
        self._noop = self._bootstrap is None or not kafka_importable()
        self._new_pipe()
        if self._bootstrap is None:
            warn_noop(ENV_BOOTSTRAP)
        elif not self._noop:
            self._start()
        track(self)

    def _new_pipe(self) -> None:
        self._pipe = Pipe(self._max_queue)
        self._sender: Sender | None = None
        if not self._noop:
            self._finalizer = weakref.finalize(self, _stop, self._pipe)
            self._finalizer.atexit = False

    # -- caller side -------------------------------------------------------------------

    def prediction(self, model: str, features: Mapping[str, Any], prediction: Any, *,
                   model_version: str = "unknown", score: float | None = None,
                   prediction_id: str | None = None, latency_ms: float | None = None,
                   event_id: str | None = None, ts: Any = None) -> str:
        """Emit a prediction (``latency_ms``: how long the model took, optional); returns its
        event id, or "" when dropped or invalid."""
        if self._noop or self._closed:
            return self._drop_call()
        try:
            event = prediction_event(model, features, prediction, model_version, score,
                                     prediction_id, latency_ms, event_id, ts, self._service,
                                     self._limits)
        except Exception as err:
            return self._invalid(err)
        return self._put(event, PREDICTIONS, event["model"])

    def label(self, model: str, prediction_id: str, label: Any, *,
              event_id: str | None = None, ts: Any = None) -> str:
        """Emit the ground truth for an earlier prediction; returns the event id or ""."""
        if self._noop or self._closed:
            return self._drop_call()
        try:
            event = make_label(model, prediction_id, label, event_id=event_id, ts=ts,
                               service=self._service, limits=self._limits)
        except Exception as err:
            return self._invalid(err)
        return self._put(event, LABELS, event["model"])

    def llm(self, app: str, prompt_version: str, llm_model: str, prompt: str, response: str, *,
            context: Sequence[str] | None = None, usage: Mapping[str, int] | None = None,
            latency_ms: float | None = None, feedback: int | None = None,
            user: str | None = None, event_id: str | None = None, ts: Any = None) -> str:
        """Emit one LLM interaction; returns the event id or ""."""
        if self._noop or self._closed:
            return self._drop_call()
        try:
            event = make_llm(
                app, prompt_version, llm_model, prompt, response, context=context, usage=usage,
                latency_ms=latency_ms, feedback=feedback, user=user, event_id=event_id, ts=ts,
                service=self._service, limits=self._limits)
        except Exception as err:
            return self._invalid(err)
        return self._put(event, LLM, event["app"])

    def _put(self, event: dict[str, Any], topic: str, key: str) -> str:
        try:
            pipe, limit = self._pipe, self._max_event_bytes
            data: bytes | dict[str, Any]
            if len(pipe.queue) < DEFER_MAX and deferrable(event, limit, self._thorough):
                data = event  # the sender encodes it
            else:
                encoded = encode_event(event)
                if encoded is None or len(encoded) > limit:
                    problem = "not JSON-serializable" if encoded is None else \
                        "larger than max_event_bytes"
                    return self._invalid(EventError(f"{event['type']}: event {problem}"))
                data = encoded
            if self._sender is None:
                self._start()
            if pipe.put((topic, key, data)):
                return event["event_id"]  # type: ignore[no-any-return]
            self._log.warn("full", "tripwire_sdk: queue full or closed (max_queue=%(detail)s), "
                           "dropped %(count)d events", detail=str(self._max_queue))
        except Exception:
            pass
        return ""

    def _drop_call(self) -> str:
        try:
            self._pipe.drop_call()
        except Exception:
            pass
        return ""

    def _invalid(self, err: Exception) -> str:
        try:
            self._pipe.count_invalid()
            reason = err.reason if isinstance(err, EventError) else type(err).__name__
            self._log.warn("invalid", "tripwire_sdk: %(count)d invalid events not sent "
                           "(last: %(detail)s)", detail=reason)
        except Exception:
            pass
        return ""

    def _start(self) -> None:
        with self._start_lock:
            if self._sender is not None:
                return
            settings = producer_settings(self._bootstrap or "", self._service, self._limits,
                                         self._linger_ms, self._producer_config)
            sender = Sender(self._pipe, settings, self._limits, self._batch_size,
                            self._linger_ms, self._log)
            sender.start()
            self._sender = sender

    # -- flush, close, counters ---------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything emitted so far is sent or dropped; False on timeout."""
        try:
            pipe = self._pipe
            with pipe.lock:
                target = pipe.accepted()
            if self._noop:
                return True
            pipe.urgent.set()
            pipe.wake.set()
            return pipe.wait_settled(target, max(float(timeout), 0.0))
        except Exception:
            return False

    def close(self, timeout: float = 10.0) -> None:
        """Flush (up to ``timeout`` seconds), stop the thread, count leftovers as dropped.

        Idempotent. Later calls to ``prediction``/``label``/``llm`` are counted as dropped."""
        try:
            if self._closed:
                return
            self._closed = True
            untrack(self)
            self._shutdown(max(float(timeout), 0.0))
        except Exception as err:
            logger.error("tripwire_sdk: close failed (%s)", type(err).__name__)

    def _shutdown(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pipe, sender = self._pipe, self._sender
        with pipe.lock:
            pipe.closed = True
        if sender is not None:
            self.flush(timeout)
            sender.close_timeout = max(deadline - time.monotonic(), 0.0)
            _stop(pipe)
            sender.join(max(deadline - time.monotonic(), 0.0) + 0.05)
        lost = pipe.abandon()
        if lost and not self._noop:
            logger.warning("tripwire_sdk: close dropped %d events that were not sent in time", lost)

    def __enter__(self) -> Emitter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def stats(self) -> dict[str, int]:
        """Snapshot: emitted, sent, dropped, invalid, queued (emitted - sent - dropped)."""
        return self._pipe.stats()

    @property
    def emitted(self) -> int:
        """Events accepted from callers (valid calls, including ones dropped later)."""
        return self._pipe.stats()["emitted"]

    @property
    def sent(self) -> int:
        """Events acknowledged by Kafka."""
        return self._pipe.stats()["sent"]

    @property
    def dropped(self) -> int:
        """Events given up: no-op/closed emitter, full queue, failed send, unsendable at close."""
        return self._pipe.stats()["dropped"]

    @property
    def invalid(self) -> int:
        """Calls rejected for invalid arguments, or events found invalid when encoded (not
        part of ``emitted``)."""
        return self._pipe.stats()["invalid"]

    def _close_at_exit(self) -> None:
        """The exit hook: a connected emitter flushes for up to EXIT_TIMEOUT seconds; one that
        never reached its broker counts its queue as dropped at once. A first connection still
        under way (a short script that emits and exits) is given its own bounded time first."""
        if self._flush_at_exit and not self._closed:
            sender = self._sender
            if (sender is not None and sender.is_alive() and self._pipe.stats()["queued"]
                    and not sender.first_attempt.is_set()):
                sender.first_attempt.wait(sender.connect_timeout())
            connected = sender is not None and sender.producer is not None
            self.close(EXIT_TIMEOUT if connected else 0.0)

    def _after_fork(self) -> None:
        """In a forked child: fresh locks, queue and counters; the thread starts on first use."""
        orphan((self._pipe, self._sender))
        self._start_lock = threading.Lock()
        self._log = RateLimitedLog(10.0)
        self._new_pipe()


def _stop(pipe: Pipe) -> None:
    pipe.stopping.set()
    pipe.urgent.set()
    pipe.wake.set()
