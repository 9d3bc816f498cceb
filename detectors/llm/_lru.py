"""Bounded least-recently-used map for per-document work (token counts, text indexes).

RAG traffic retrieves the same chunks again and again, so work done once per chunk text is
kept here and a chunk seen again costs one dict look-up. The map is bounded twice: by entry
count and by an estimate of the bytes its values hold (the caller passes each entry's size);
the least recently used entries go first. ``max_items=0`` disables caching (every ``get`` is a
miss and ``put`` stores nothing), which tests use as the uncached reference.

Thread-safe: ``put``, ``clear`` and ``info`` hold a lock; ``get`` relies on the GIL (see
there). Pickling keeps only the bounds: the contents are a cache, rebuilt on demand, so
pickled detector state stays small.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, NamedTuple

__all__ = ["CacheInfo", "DocumentCached", "LRUCache"]


class CacheInfo(NamedTuple):
    """Counters and size of an :class:`LRUCache` (``hits``/``misses`` count ``get`` calls)."""

    hits: int
    misses: int
    items: int
    nbytes: int
    max_items: int
    max_bytes: int


class LRUCache:
    """``key -> value`` with at most ``max_items`` entries and ``max_bytes`` estimated bytes."""

    __slots__ = ("_bytes", "_data", "_lock", "hits", "max_bytes", "max_items", "misses")

    def __init__(self, max_items: int, max_bytes: int) -> None:
        if max_items < 0 or max_bytes < 0:
            raise ValueError(f"cache bounds must be >= 0, got {max_items}, {max_bytes}")
        self.max_items = int(max_items)
        self.max_bytes = int(max_bytes)
        self._data: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self.hits = self.misses = 0

    def get(self, key: Any) -> Any:
        """The value for ``key`` (now most recently used), or None on a miss.

        No lock: ``OrderedDict.get`` and ``move_to_end`` are single C calls, atomic under the
        GIL; a key evicted between the two is simply not moved. The hit/miss counters may
        miss an increment when threads race (they are statistics only).
        """
        entry = self._data.get(key)
        if entry is None:
            self.misses += 1
            return None
        try:
            self._data.move_to_end(key)
        except KeyError:  # evicted by another thread meanwhile
            pass
        self.hits += 1
        return entry[0]

    def put(self, key: Any, value: Any, nbytes: int) -> None:
        """Store ``value`` (about ``nbytes`` bytes); evict the oldest entries beyond a bound.

        A value larger than ``max_bytes`` on its own is not stored.
        """
        if not self.max_items or nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, nbytes)
            self._bytes += nbytes
            while len(self._data) > self.max_items or self._bytes > self.max_bytes:
                self._bytes -= self._data.popitem(last=False)[1][1]

    def clear(self) -> None:
        """Drop every entry and reset the counters."""
        with self._lock:
            self._data.clear()
            self._bytes = self.hits = self.misses = 0

    def info(self) -> CacheInfo:
        """Current counters and size."""
        with self._lock:
            return CacheInfo(self.hits, self.misses, len(self._data), self._bytes,
                             self.max_items, self.max_bytes)  # fmt: skip

    def __len__(self) -> int:
        return len(self._data)

    def __getstate__(self) -> tuple[int, int]:
        return (self.max_items, self.max_bytes)

    def __setstate__(self, state: tuple[int, int]) -> None:
        self.__init__(*state)  # type: ignore[misc]


class DocumentCached:
    """Mixin for scorers that keep per-document work in ``self._docs`` (an :class:`LRUCache`):
    its counters, clearing it, and pickling only its bounds (the contents are rebuilt on
    demand; pickles from before the cache existed get the default bounds)."""

    _docs: LRUCache

    def cache_info(self) -> CacheInfo:
        """Hits, misses and size of the context-document cache."""
        return self._docs.info()

    def clear_cache(self) -> None:
        """Forget every cached document index (and the hit/miss counters)."""
        self._docs.clear()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_docs"] = (self._docs.max_items, self._docs.max_bytes)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        bounds = state.pop("_docs", (4096, 64 << 20))
        self.__dict__.update(state)
        self._docs = LRUCache(*bounds)
