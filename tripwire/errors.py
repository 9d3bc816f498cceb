"""Tripwire's exception tree.

    TripwireError                      base of everything Tripwire raises on purpose
     ├── ConfigError (ValueError)      a setting is missing or invalid; the message names the
     │                                 key (``TRIPWIRE_…`` and ``tripwire.yaml`` path) and the fix
     └── StackError (RuntimeError)     a part of the embedded stack (broker, worker, UI) did not
                                       start or stopped unexpectedly; the message says which
"""

from __future__ import annotations

__all__ = ["TripwireError", "ConfigError", "StackError"]


class TripwireError(Exception):
    """Base class of all errors Tripwire raises on purpose."""


class ConfigError(TripwireError, ValueError):
    """A setting is missing or invalid."""


class StackError(TripwireError, RuntimeError):
    """A part of the embedded stack failed to start or died."""
