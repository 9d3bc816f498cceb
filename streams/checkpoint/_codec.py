"""Bytes of a checkpoint record: MessagePack (msgspec) with numpy arrays as an extension type,
zlib-compressed. Floats round-trip exactly, including inf and NaN (JSON would lose them)."""

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
_MAGIC = b"TWc1"  # format marker and version of these bytes


def _enc_hook(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        header = f"{value.dtype.str}|{','.join(map(str, value.shape))}|".encode()
        return msgspec.msgpack.Ext(_NDARRAY, header + np.ascontiguousarray(value).tobytes())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"cannot checkpoint a {type(value).__name__}")


def _ext_hook(code: int, data: memoryview) -> Any:
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
