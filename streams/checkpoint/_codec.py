"""Bytes of a checkpoint record: MessagePack (msgspec) with numpy arrays as an extension type,
zlib-compressed. Floats round-trip exactly, including inf and NaN (JSON would lose them).

Sorted arrays dominate a model's checkpoint (each numeric feature's reference profile keeps
its distinct values and cumulative counts), so 1-D integer arrays and 1-D float arrays whose
values are exact decimals of at most :data:`_MAX_DECIMALS` places (counts, prices, rounded
sensor readings) are stored as differences of consecutive integers in the narrowest integer
type that holds them, which zlib then packs to a byte or two per value. The encoder checks
that decoding gives back the very same bits, and stores the raw bytes otherwise.
"""

from __future__ import annotations

import base64
import io
import pickle
import zlib
from typing import Any

import msgspec
import numpy as np

__all__ = ["decode", "encode", "pack", "profile_from_text", "profile_text", "seal"]

_NDARRAY = 1  # msgpack extension code of a numpy array: b"<dtype>|<shape csv>|" + raw bytes
_DELTAS = 2  # a 1-D array as differences: b"<dtype>|<n>|<decimals>|<delta dtype>|" + deltas
_MAX_DECIMALS = 6
_DELTA_TYPES = (np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32), np.dtype(np.int64))
_MAGIC = b"TWc1"  # format marker and version of these bytes


def _name(dtype: np.dtype) -> str:
    """``dtype.str`` without "|" (the byte order of one-byte types), which separates fields."""
    return dtype.str.replace("|", "=")


def _as_integers(value: np.ndarray) -> tuple[np.ndarray, int] | None:
    """(integers, decimals) with ``integers / 10**decimals`` equal to ``value`` bit for bit
    (``integers`` itself for an integer array), or None."""
    if value.dtype.kind in "iu":
        return (value.astype(np.int64), 0) if value.dtype.itemsize <= 8 and (
            value.dtype.kind == "i" or not value.size or value.max() < 2**63) else None
    if value.dtype != np.float64 or not value.size or not np.isfinite(value).all():
        return None
    if np.abs(value).max() >= 2**52 / 10**_MAX_DECIMALS:
        return None
    for decimals in range(_MAX_DECIMALS + 1):
        scale = 10.0**decimals
        ints = np.rint(value * scale).astype(np.int64)
        back = ints.astype(np.float64)  # exactly what _from_deltas computes
        if decimals:
            back /= scale
        if np.array_equal(back.view(np.int64), value.view(np.int64)):  # bits: -0.0 is no 0.0
            return ints, decimals
    return None


def _deltas(value: np.ndarray) -> msgspec.msgpack.Ext | None:
    found = _as_integers(value) if value.ndim == 1 and value.size > 16 else None
    if found is None:
        return None
    ints, decimals = found
    steps = np.diff(ints, prepend=np.int64(0))
    low, high = int(steps.min()), int(steps.max())
    kind = next(t for t in _DELTA_TYPES
                if np.iinfo(t).min <= low and high <= np.iinfo(t).max)
    header = f"{_name(value.dtype)}|{value.size}|{decimals}|{_name(kind)}|".encode()
    return msgspec.msgpack.Ext(_DELTAS, header + steps.astype(kind).tobytes())


def _from_deltas(raw: bytes) -> np.ndarray:
    dtype, size, decimals, kind, body = raw.split(b"|", 4)
    ints = np.cumsum(np.frombuffer(body, dtype=np.dtype(kind.decode())), dtype=np.int64)
    if len(ints) != int(size):
        raise ValueError("corrupt checkpoint: array length")
    places = int(decimals)
    target = np.dtype(dtype.decode())
    if target.kind == "f":
        floats = ints.astype(np.float64)
        return (floats / 10.0**places if places else floats).astype(target)
    return ints.astype(target)


def _enc_hook(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        packed = _deltas(value)
        if packed is not None:
            return packed
        header = f"{_name(value.dtype)}|{','.join(map(str, value.shape))}|".encode()
        return msgspec.msgpack.Ext(_NDARRAY, header + np.ascontiguousarray(value).tobytes())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"cannot checkpoint a {type(value).__name__}")


def _ext_hook(code: int, data: memoryview) -> Any:
    if code == _DELTAS:
        return _from_deltas(bytes(data))
    if code != _NDARRAY:
        raise ValueError(f"unknown checkpoint extension type {code}")
    raw = bytes(data)
    dtype, shape, body = raw.split(b"|", 2)
    dims = tuple(int(d) for d in shape.decode().split(",") if d)
    return np.frombuffer(body, dtype=np.dtype(dtype.decode())).reshape(dims).copy()


_ENCODER = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
_DECODER = msgspec.msgpack.Decoder(ext_hook=_ext_hook)


def pack(record: dict[str, Any]) -> bytes:
    """MessagePack bytes of a plain-data record (dicts with str keys, lists, numbers, str,
    bytes, None, numpy arrays). Fast; the worker runs it on its loop, between batches, so the
    record is a consistent cut of live state."""
    return _ENCODER.encode(record)


def seal(packed: bytes, level: int = 1) -> bytes:
    """Checkpoint bytes of :func:`pack`'s output (compressed; safe to run in a thread)."""
    return _MAGIC + zlib.compress(packed, level)


def encode(record: dict[str, Any], level: int = 1) -> bytes:
    """Checkpoint bytes of a plain-data record: ``seal(pack(record))``."""
    return seal(pack(record), level)


def decode(data: bytes) -> dict[str, Any]:
    """Inverse of :func:`encode`; raises ValueError for bytes that are not a checkpoint."""
    if not data.startswith(_MAGIC):
        raise ValueError("not a Tripwire checkpoint (unknown format marker)")
    try:
        return _DECODER.decode(zlib.decompress(data[len(_MAGIC):]))
    except (zlib.error, msgspec.DecodeError) as exc:
        raise ValueError(f"corrupt checkpoint: {exc}") from exc


def profile_text(profile: Any) -> str:
    """A reference profile as text for the store: base64 of its checkpoint bytes."""
    return base64.b64encode(encode(profile.to_state())).decode()


def profile_from_text(text: str) -> Any:
    """Inverse of :func:`profile_text`. Profiles stored before it (a pickle of the profile
    object) still load, through an unpickler that admits only the profile's own classes."""
    from detectors.drift import ReferenceProfile

    raw = base64.b64decode(text)
    if raw.startswith(_MAGIC):
        return ReferenceProfile.from_state(decode(raw))
    return _LegacyProfile(io.BytesIO(raw)).load()


class _LegacyProfile(pickle.Unpickler):
    _ALLOWED = ("detectors.drift.", "numpy", "copyreg", "builtins")

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith(self._ALLOWED) and not (module == "builtins" and name not in
                                                     ("dict", "tuple", "list", "set", "slice")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a reference profile")
