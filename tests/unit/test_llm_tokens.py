"""Token counting with an offline, verified tiktoken cache (detectors.llm._tokens)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import detectors.llm as llm
from detectors.llm import _tiktoken_cache as cache

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "hello world",
    "Refunds are processed within 5 business days (see §4.2).",
    "Ünïcödé — naïve café, 東京タワー, Привет мир, مرحبا",
    "emoji: 🎉🚀👩‍💻 and flags 🇩🇪🇯🇵",
    "def f(x):\n    return {'a': [1, 2, 3]}  # code\n\tprint(f'{x!r}')\n",
    "   leading and trailing spaces \r\n\r\n  ",
    "special tokens as text: <|endoftext|> <|fim_prefix|>",
    "",
]
EXPECTED_HASHES = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}


def _deny(*_args, **_kwargs):
    raise OSError("network disabled in this test")


@pytest.fixture(scope="module")
def offline_cache(tmp_path_factory):
    """Network blocked, a fresh TIKTOKEN_CACHE_DIR seeded by detectors.llm."""
    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _deny)
    mp.setattr(socket, "getaddrinfo", _deny)
    mp.setattr(socket, "create_connection", _deny)
    cache_dir = tmp_path_factory.mktemp("tiktoken-cache")
    saved = os.environ.pop("TIKTOKEN_CACHE_DIR", None)
    cache._reset_for_tests()
    yield llm.ensure_tiktoken_cache(cache_dir)
    mp.undo()
    cache._reset_for_tests()
    os.environ.pop("TIKTOKEN_CACHE_DIR", None)
    if saved is not None:
        os.environ["TIKTOKEN_CACHE_DIR"] = saved


def test_public_api_is_pinned():
    assert sorted(llm.__all__) == sorted([
        "FALLBACK_ENCODING", "Cost", "Groundedness", "GroundednessScorer", "LexicalScorer",
        "PriceBook",
        "TokenCount", "TokenizerDataError", "UnknownModelError", "count_tokens",
        "default_cache_dir", "encoding_name_for", "ensure_tiktoken_cache", "is_exact",
        "score_groundedness", "seed_tiktoken_cache", "split_provider", "tokens_for_event",
    ])  # fmt: skip


def test_import_is_lazy():
    code = (
        "import sys, detectors.llm; print('tiktoken' in sys.modules, 'genai_prices' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr


@pytest.mark.parametrize(
    ("model", "encoding", "exact"),
    [
        ("gpt-4o", "o200k_base", True),
        ("gpt-4o-mini-2024-07-18", "o200k_base", True),
        ("openai/gpt-4.1-nano", "o200k_base", True),
        ("GPT-5", "o200k_base", True),
        ("o1", "o200k_base", True),
        ("o3-mini", "o200k_base", True),
        ("o4-mini-2025-04-16", "o200k_base", True),
        ("ft:gpt-4o-mini:acme::abc", "o200k_base", True),
        ("gpt-4", "cl100k_base", True),
        ("gpt-4-turbo", "cl100k_base", True),
        ("azure/gpt-35-turbo", "cl100k_base", True),
        ("gpt-3.5-turbo-0125", "cl100k_base", True),
        ("text-embedding-3-small", "cl100k_base", True),
        ("claude-3-5-sonnet", "cl100k_base", False),
        ("meta-llama/Llama-3.1-8B", "cl100k_base", False),
        ("omega-1", "cl100k_base", False),
    ],
)
def test_encoding_for_model(model, encoding, exact):
    assert llm.encoding_name_for(model) == encoding
    assert llm.is_exact(model) is exact


def test_cache_files_are_named_and_hashed_like_tiktoken(offline_cache):
    specs = cache._blob_specs()
    for name, sha in EXPECTED_HASHES.items():
        assert specs[name].sha256 == sha
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        path = offline_cache / hashlib.sha1(url.encode()).hexdigest()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(offline_cache)


@pytest.mark.parametrize("encoding", ["cl100k_base", "o200k_base"])
def test_counts_equal_tiktoken(offline_cache, encoding):
    import tiktoken

    enc = tiktoken.get_encoding(encoding)
    model = "gpt-4o" if encoding == "o200k_base" else "gpt-4"
    for text in TEXTS[:-2]:
        assert llm.count_tokens(model, text) == len(enc.encode(text)), text
    assert llm.count_tokens(model, TEXTS[-2]) == len(enc.encode(TEXTS[-2], disallowed_special=()))
    assert llm.count_tokens(model, "") == 0


def test_first_load_in_a_fresh_offline_process(tmp_path):
    """No cache anywhere, sockets refused: seeding + tiktoken load must still work."""
    code = f"""
import json, socket
def deny(*a, **k): raise OSError("network disabled")
socket.socket.connect = deny; socket.getaddrinfo = deny; socket.create_connection = deny
from detectors.llm import count_tokens
import tiktoken
texts = {TEXTS!r}[:-2]
print(json.dumps([[count_tokens(m, t) for t in texts] for m in ("gpt-4o", "gpt-4")] +
                 [[len(tiktoken.get_encoding(e).encode(t)) for t in texts]
                  for e in ("o200k_base", "cl100k_base")]))
"""
    env = {
        k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR")
    }
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    ours_o200k, ours_cl100k, ref_o200k, ref_cl100k = json.loads(out.stdout)
    assert ours_o200k == ref_o200k and ours_cl100k == ref_cl100k
    assert len(list((tmp_path / "xdg" / "tripwire" / "tiktoken").iterdir())) == 2


def test_sha_mismatch_is_detected(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(cache._bundled_dir(), src)
    good = gzip.decompress((src / "o200k_base.tiktoken.gz").read_bytes())
    (src / "o200k_base.tiktoken.gz").write_bytes(gzip.compress(good[:-10] + b"AAAA 1\n"))
    with pytest.raises(llm.TokenizerDataError, match="SHA-256 mismatch"):
        llm.seed_tiktoken_cache(tmp_path / "cache", source_dir=src)
    (src / "o200k_base.tiktoken.gz").write_bytes(b"not gzip at all")
    with pytest.raises(llm.TokenizerDataError, match="cannot read"):
        llm.seed_tiktoken_cache(tmp_path / "cache", source_dir=src)


def test_corrupt_cached_file_is_replaced(tmp_path):
    target = llm.seed_tiktoken_cache(tmp_path)
    victim = next(target.iterdir())
    victim.write_bytes(b"corrupt")
    llm.seed_tiktoken_cache(tmp_path)
    assert hashlib.sha256(victim.read_bytes()).hexdigest() in EXPECTED_HASHES.values()


def test_user_cache_dir_is_used_and_never_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "mine"))
    cache._reset_for_tests()
    try:
        assert llm.ensure_tiktoken_cache(tmp_path / "ignored") == tmp_path / "mine"
        assert os.environ["TIKTOKEN_CACHE_DIR"] == str(tmp_path / "mine")
        assert len(list((tmp_path / "mine").iterdir())) == 2
        assert not (tmp_path / "ignored").exists()
    finally:
        cache._reset_for_tests()


def test_empty_cache_var_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    cache._reset_for_tests()
    try:
        assert llm.ensure_tiktoken_cache(tmp_path) == tmp_path
        assert os.environ["TIKTOKEN_CACHE_DIR"] == str(tmp_path)
    finally:
        cache._reset_for_tests()


def test_default_cache_dir_is_per_user(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert llm.default_cache_dir() == tmp_path / "tripwire" / "tiktoken"


def test_usage_from_event_wins(offline_cache):
    event = {"llm_model": "gpt-4o", "prompt": "hi", "response": "hello",
             "usage": {"input_tokens": 120, "output_tokens": 30}}  # fmt: skip
    assert llm.tokens_for_event(event) == (120, 30, "usage")
    openai_style = {**event, "usage": {"prompt_tokens": 7, "completion_tokens": 3}}
    assert llm.tokens_for_event(openai_style) == (7, 3, "usage")


def test_tokens_counted_when_usage_missing(offline_cache):
    docs = ["Refunds take 5 days.", "Plans cost $1,200 per year."]
    event = {"llm_model": "gpt-4o-mini", "prompt": "What is the refund policy?",
             "context": docs, "response": "Refunds take 5 days."}  # fmt: skip
    expected_in = sum(llm.count_tokens("gpt-4o-mini", t) for t in [event["prompt"], *docs])
    expected_out = llm.count_tokens("gpt-4o-mini", event["response"])
    assert llm.tokens_for_event(event) == (expected_in, expected_out, "tiktoken")


def test_partial_usage_and_attribute_events(offline_cache):
    class Event:
        llm_model = "claude-3-haiku"
        prompt = "hello"
        context_docs = ["doc one"]
        response = "hi there"
        usage = {"input_tokens": 99, "output_tokens": None}

    count = llm.tokens_for_event(Event())
    assert count.input_tokens == 99 and count.source == "tiktoken"
    assert count.output_tokens == llm.count_tokens("claude-3-haiku", "hi there")
