"""River drift detectors inside explicit monitor state.

River keeps ADWIN's buckets in a Rust object whose only serial form is River's own pickle
support. A detector therefore enters a checkpoint as ``{"river": <version>, "pickle": bytes}``:
the one opaque leaf of an otherwise plain-data state (the version is River's own
``__version__``; no package metadata is read). Loading goes through an unpickler that admits
nothing but River's drift classes, so a checkpoint read from Kafka cannot run code; a blob from
another River version, or one that fails to load, yields None and the caller starts that
detector fresh (River detectors need no history to be correct, only to be fast).
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from river.__version__ import __version__ as _RIVER_VERSION

__all__ = ["detector_to_state", "detector_from_state"]

_ALLOWED_MODULES = ("river.drift", "river._river_rust")


class _RiverOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module.startswith(_ALLOWED_MODULES):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a River drift class")


def detector_to_state(detector: Any) -> dict[str, Any]:
    """A River drift detector as plain data (River's version and its pickle bytes)."""
    return {"river": _RIVER_VERSION, "pickle": pickle.dumps(detector, protocol=5)}


def detector_from_state(state: dict[str, Any] | None) -> Any | None:
    """The detector saved by :func:`detector_to_state`, or None when it cannot be loaded
    here (another River version, or not a River drift detector)."""
    if not state or state.get("river") != _RIVER_VERSION:
        return None
    try:
        return _RiverOnly(io.BytesIO(state["pickle"])).load()
    except Exception:  # any failure means: start this detector fresh
        return None
