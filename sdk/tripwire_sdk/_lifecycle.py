"""Process-wide hooks of the SDK: the set of live emitters, the exit flush and fork safety."""

from __future__ import annotations

import atexit
import os
import warnings
import weakref
from typing import Any

from ._ratelog import logger

_live: weakref.WeakSet[Any] = weakref.WeakSet()  # Emitters; a GC'd emitter leaves by itself
_orphans: list[Any] = []  # a forked child keeps the parent's objects: never GC'd mid-request
_warned_noop = False


def track(emitter: Any) -> None:
    """Close ``emitter`` at exit (``_close_at_exit``) and renew it in forked children."""
    _live.add(emitter)


def untrack(emitter: Any) -> None:
    _live.discard(emitter)


def orphan(obj: Any) -> None:
    """Keep ``obj`` alive forever (in a forked child, the parent's queue and thread)."""
    _orphans.append(obj)


def kafka_importable() -> bool:
    """Import kafka-python now, on the constructing thread: importing it later on the sender
    thread allocates ~100k objects while callers run and provokes a full GC pause there."""
    try:
        with warnings.catch_warnings():  # kafka-python 3.0 warns about importlib.resources
            warnings.simplefilter("ignore", DeprecationWarning)
            import kafka  # noqa: F401
    except Exception as err:
        logger.error("tripwire_sdk: kafka-python cannot be imported (%s); events are dropped",
                     type(err).__name__)
        return False
    return True


def warn_noop(env_name: str) -> None:
    """Warn once per process that emitters without a bootstrap drop everything."""
    global _warned_noop
    if not _warned_noop:
        _warned_noop = True
        logger.warning("tripwire_sdk: no Kafka bootstrap (argument or %s); events are counted "
                       "as dropped and not sent", env_name)


def _close_all_at_exit() -> None:
    for emitter in list(_live):
        try:
            emitter._close_at_exit()
        except Exception:
            pass


def _after_fork_in_child() -> None:
    for emitter in list(_live):
        try:
            emitter._after_fork()
        except Exception:
            pass


atexit.register(_close_all_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
