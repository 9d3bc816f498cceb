"""The label join: predictions and their late labels matched by ``prediction_id``, with a TTL."""

from __future__ import annotations

__all__ = ["LabelJoin"]

# What the join keeps of a held prediction (besides its id): all it reads when joining, as a
# tuple in this order (a tuple costs less time and memory than a dict per held prediction).
_PREDICTION_KEYS = ("ts", "prediction", "score", "model", "model_version")
_COUNTERS = ("predictions", "labels", "joined", "label_before_prediction", "duplicate_label",
             "duplicate_prediction", "missing_id", "label_too_late", "unknown_expired",
             "predictions_unlabeled_expired", "evicted_overflow")


class LabelJoin:
    """Joins labels to predictions by ``prediction_id`` in either order, with an event-time TTL.

    A label is joined only if ``label ts - prediction ts <= ttl_s`` (so results do not depend on
    when ``expire`` runs). Entries expire in arrival order: ``expire`` pops from the oldest
    arrival and stops at the first entry still inside the TTL. Beyond ``max_pending`` entries per
    table the oldest are evicted and counted.
    """

    def __init__(self, ttl_s: float = 7 * 86400, max_pending: int = 1_000_000):
        if ttl_s <= 0 or max_pending < 1:
            raise ValueError("ttl_s must be > 0 and max_pending >= 1")
        self.ttl_s, self.max_pending = float(ttl_s), max_pending
        self._predictions: dict[str, tuple] = {}  # id -> values of _PREDICTION_KEYS
        self._labels: dict[str, dict] = {}
        self._joined: dict[str, float] = {}  # id -> prediction ts, for duplicate labels
        self.counters = dict.fromkeys(_COUNTERS, 0)

    def add_prediction(self, event: dict) -> dict | None:
        """Hold a prediction; return the joined pair if its label was already waiting."""
        self.counters["predictions"] += 1
        pid = event.get("prediction_id")
        if pid is None:
            self.counters["missing_id"] += 1
            return None
        if pid in self._predictions or pid in self._joined:
            self.counters["duplicate_prediction"] += 1
            return None
        label = self._labels.pop(pid, None)
        if label is not None:
            self.counters["label_before_prediction"] += 1
            return self._join(pid, _held(event), label)
        self._put(self._predictions, pid, _held(event))
        return None

    def add_predictions(self, events: list[dict], model: str) -> None:
        """:meth:`add_prediction` of ``{prediction_id, ts, prediction, score, model,
        model_version}`` (``model`` given, the rest from each event) for a run of events no
        waiting label belongs to (see :meth:`label_waiting`), so none joins."""
        counters, held, joined = self.counters, self._predictions, self._joined
        counters["predictions"] += len(events)
        for event in events:
            get = event.get
            pid = get("prediction_id")
            if pid is None:
                counters["missing_id"] += 1
            elif pid in held or pid in joined:
                counters["duplicate_prediction"] += 1
            else:
                held[pid] = (event["ts"], get("prediction"), get("score"), model,
                             get("model_version"))
                if len(held) > self.max_pending:
                    del held[next(iter(held))]
                    counters["evicted_overflow"] += 1

    @property
    def labels_waiting(self) -> bool:
        """Whether any label waits for its prediction."""
        return bool(self._labels)

    def label_waiting(self, pid: str | None) -> bool:
        """Whether a label for ``pid`` waits for its prediction (adding it would join)."""
        return pid is not None and pid in self._labels

    def add_label(self, event: dict) -> dict | None:
        """Return the joined pair, or None (label held until its prediction arrives)."""
        self.counters["labels"] += 1
        pid = event.get("prediction_id")
        if pid is None:
            self.counters["missing_id"] += 1
            return None
        if pid in self._joined or pid in self._labels:
            self.counters["duplicate_label"] += 1
            return None
        prediction = self._predictions.pop(pid, None)
        if prediction is None:
            self._put(self._labels, pid, event)
            return None
        return self._join(pid, prediction, event)

    def _join(self, pid: str, prediction: tuple, label: dict) -> dict | None:
        ts, value, score, model, version = prediction
        ts_pred, ts_label = float(ts), float(label["ts"])
        if ts_label - ts_pred > self.ttl_s:
            self.counters["label_too_late"] += 1
            return None
        self._put(self._joined, pid, ts_pred)
        self.counters["joined"] += 1
        return {"prediction_id": pid, "model": model, "model_version": version,
                "prediction": value, "label": label.get("label"), "score": score,
                "ts_pred": ts_pred, "ts_label": ts_label, "latency_s": ts_label - ts_pred}

    def _put(self, table: dict, pid: str, value) -> None:
        table[pid] = value
        if len(table) > self.max_pending:
            del table[next(iter(table))]
            self.counters["evicted_overflow"] += 1

    def hold(self, event: dict) -> None:
        """Hold a prediction restored from storage (not counted again as a new prediction)."""
        pid = event.get("prediction_id")
        if pid is not None and pid not in self._joined:
            self._put(self._predictions, pid, _held(event))

    def without_pending(self) -> LabelJoin:
        """A copy with the counters but none of the held entries (for compact snapshots; the
        pending predictions are restored from the store with :meth:`hold`)."""
        clone = LabelJoin(self.ttl_s, self.max_pending)
        clone.counters = dict(self.counters)
        return clone

    def expire(self, now_ts: float) -> int:
        """Drop entries older than the TTL at event time ``now_ts``; return how many."""
        cutoff = now_ts - self.ttl_s
        # Each table is looked at only when its oldest entry is past the cutoff (mostly none
        # is: this runs once per label).
        held, labels, joined = self._predictions, self._labels, self._joined
        dropped = unknown = 0
        if held and float(next(iter(held.values()))[0]) < cutoff:
            dropped = _pop_older(held, cutoff, _first)
            self.counters["predictions_unlabeled_expired"] += dropped
        if labels and float(next(iter(labels.values()))["ts"]) < cutoff:
            unknown = _pop_older(labels, cutoff, _ts)
            self.counters["unknown_expired"] += unknown
        if joined and float(next(iter(joined.values()))) < cutoff:
            _pop_older(joined, cutoff, float)
        return dropped + unknown

    @property
    def pending(self) -> dict[str, int]:
        return {"predictions": len(self._predictions), "labels": len(self._labels)}

    def to_state(self) -> dict:
        """Plain data, columnar, in arrival order (expiry depends on it). Grows with the held
        entries: ~60 bytes per pending prediction before compression, at most
        ``max_pending`` per table."""
        preds = self._predictions.values()
        labels = self._labels.values()
        return {
            "ttl_s": self.ttl_s, "max_pending": self.max_pending,
            "counters": dict(self.counters),
            "predictions": {"ids": list(self._predictions),
                            **{k: [p[i] for p in preds] for i, k in enumerate(_PREDICTION_KEYS)}},
            "labels": {"ids": list(self._labels), "ts": [e["ts"] for e in labels],
                       "label": [e.get("label") for e in labels]},
            "joined": {"ids": list(self._joined), "ts": list(self._joined.values())},
        }

    @classmethod
    def from_state(cls, state: dict) -> LabelJoin:
        out = cls(state["ttl_s"], state["max_pending"])
        out.counters.update(state["counters"])
        preds = state["predictions"]
        columns = [preds[k] for k in _PREDICTION_KEYS]
        for pid, *values in zip(preds["ids"], *columns, strict=True):
            out._predictions[pid] = tuple(values)
        labels = state["labels"]
        for pid, ts, label in zip(labels["ids"], labels["ts"], labels["label"], strict=True):
            out._labels[pid] = {"prediction_id": pid, "ts": ts, "label": label}
        out._joined = dict(zip(state["joined"]["ids"], state["joined"]["ts"], strict=True))
        return out


def _held(event: dict) -> tuple:
    """What the join holds of a prediction event: its values of ``_PREDICTION_KEYS``."""
    get = event.get
    return (get("ts"), get("prediction"), get("score"), get("model"), get("model_version"))


def _first(held: tuple):
    return held[0]


def _ts(event: dict):
    return event["ts"]


def _pop_older(table: dict, cutoff: float, ts_of) -> int:
    count = 0
    while table:
        pid = next(iter(table))
        if float(ts_of(table[pid])) >= cutoff:
            break
        del table[pid]
        count += 1
    return count
