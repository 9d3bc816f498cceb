"""Token counting with an offline, verified tiktoken cache (detectors.llm._tokens).

The cache is seeded the way the entry points do it at start-up (``tripwire.tiktoken_cache``,
tested in test_tiktoken_cache); detectors.llm only calls tiktoken.
"""

from __future__ import annotations

import os
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
    "   leading and trailing spaces \r\n\r\n  ",
    "special tokens as text: <|endoftext|> <|fim_prefix|>",
    "",
]


def _deny(*_args, **_kwargs):
    raise OSError("network disabled in this test")


@pytest.fixture(scope="module")
def offline_cache(tmp_path_factory):
    """Network blocked, a fresh TIKTOKEN_CACHE_DIR seeded as at an entry point's start-up."""
    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", _deny)
    mp.setattr(socket, "getaddrinfo", _deny)
    mp.setattr(socket, "create_connection", _deny)
    cache_dir = tmp_path_factory.mktemp("tiktoken-cache")
    saved = os.environ.pop("TIKTOKEN_CACHE_DIR", None)
    cache._reset_for_tests()
    yield cache.ensure_tiktoken_cache(cache_dir)
    mp.undo()
    cache._reset_for_tests()
    os.environ.pop("TIKTOKEN_CACHE_DIR", None)
    if saved is not None:
        os.environ["TIKTOKEN_CACHE_DIR"] = saved


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


@pytest.mark.parametrize("encoding", ["cl100k_base", "o200k_base"])
def test_counts_equal_tiktoken(offline_cache, encoding):
    import tiktoken

    enc = tiktoken.get_encoding(encoding)
    model = "gpt-4o" if encoding == "o200k_base" else "gpt-4"
    for text in TEXTS[:-2]:
        assert llm.count_tokens(model, text) == len(enc.encode(text)), text
    assert llm.count_tokens(model, TEXTS[-2]) == len(enc.encode(TEXTS[-2], disallowed_special=()))
    assert llm.count_tokens(model, "") == 0


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
