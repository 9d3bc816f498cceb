"""PriceBook: genai-prices bundled table, overrides, unknown-model rule (detectors.llm._cost)."""

from __future__ import annotations

import pickle
import socket
from datetime import UTC, datetime

import pytest
from genai_prices import Usage, calc_price
from genai_prices.data_snapshot import DataSnapshot, set_custom_snapshot

from detectors.llm import Cost, PriceBook, UnknownModelError

WHEN = datetime(2025, 6, 1, 12, tzinfo=UTC)
TS = WHEN.timestamp()


def _deny(*_args, **_kwargs):
    raise OSError("network disabled in this test")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _deny)
    monkeypatch.setattr(socket, "getaddrinfo", _deny)
    monkeypatch.setattr(socket, "create_connection", _deny)


def _per_mtok(model: str, provider: str) -> tuple[float, float]:
    """Input and output USD per million tokens, read straight from genai-prices."""
    inp = calc_price(Usage(input_tokens=1_000_000), model, provider_id=provider,
                     genai_request_timestamp=WHEN)  # fmt: skip
    out = calc_price(Usage(output_tokens=1_000_000), model, provider_id=provider,
                     genai_request_timestamp=WHEN)  # fmt: skip
    return float(inp.total_price), float(out.total_price)


def test_known_model_matches_genai_prices():
    in_rate, out_rate = _per_mtok("gpt-4o-mini", "openai")
    assert in_rate > 0 and out_rate > in_rate
    cost = PriceBook().price("gpt-4o-mini", 12_345, 678, ts=TS)
    assert cost.usd == pytest.approx((12_345 * in_rate + 678 * out_rate) / 1e6, rel=1e-12)
    assert (cost.model_matched, cost.source) == ("gpt-4o-mini", "genai-prices")


@pytest.mark.parametrize(
    ("ref", "matched"),
    [
        ("openai/gpt-4o", "gpt-4o"),
        ("azure/gpt-4o", "gpt-4o"),
        ("GPT-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        (" gpt-4o-mini ", "gpt-4o-mini"),
        ("anthropic/claude-3-5-sonnet", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
    ],
)
def test_prefixed_and_dated_names_resolve(ref, matched):
    cost = PriceBook().price(ref, 1000, 100, ts=TS)
    assert (cost.model_matched, cost.source) == (matched, "genai-prices")
    assert cost.usd > 0


def test_tiered_prices_follow_genai_prices():
    usage = Usage(input_tokens=300_000, output_tokens=2_000)
    expected = calc_price(usage, "claude-sonnet-4-5", provider_id="anthropic",
                          genai_request_timestamp=WHEN)  # fmt: skip
    cost = PriceBook().price("claude-sonnet-4-5", 300_000, 2_000, ts=TS)
    assert cost.usd == pytest.approx(float(expected.total_price), rel=1e-12)


def test_no_timestamp_uses_latest_price_without_a_clock():
    book = PriceBook()
    assert book.price("gpt-4o", 1000, 100).usd == book.price("gpt-4o", 1000, 100, ts=TS).usd


def test_custom_snapshot_elsewhere_in_the_process_is_ignored():
    set_custom_snapshot(DataSnapshot(providers=[], from_auto_update=True))
    try:
        assert PriceBook().price("gpt-4o-mini", 10, 10, ts=TS).source == "genai-prices"
    finally:
        set_custom_snapshot(None)


def test_override_wins_and_strips_provider():
    book = PriceBook(overrides={"gpt-4o": {"input_per_mtok": 1, "output_per_mtok": 2},
                                "My-FT": {"input_per_mtok": 3, "output_per_mtok": 4}})  # fmt: skip
    assert book.price("gpt-4o", 1_000_000, 500_000) == Cost(2.0, "gpt-4o", "override")
    assert book.price("azure/my-ft", 2_000_000, 0) == Cost(6.0, "my-ft", "override")


def test_unknown_rules():
    assert PriceBook().price("acme-llm-7b", 1000, 1000) == Cost(0.0, None, "unknown-rule")
    with pytest.raises(UnknownModelError, match="acme-llm-7b"):
        PriceBook(unknown="error").price("acme-llm-7b", 1, 1)
    book = PriceBook(unknown={"input_per_mtok": 10, "output_per_mtok": 30})
    assert book.price("acme-llm-7b", 100_000, 10_000) == Cost(1.3, None, "unknown-rule")
    assert book.price("gpt-4o", 1, 1).source == "genai-prices"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"unknown": "free"},
        {"unknown": {"input_per_mtok": 1}},
        {"overrides": {"m": {"input_per_mtok": -1, "output_per_mtok": 1}}},
        {"overrides": {"m": {"input_per_mtok": "x", "output_per_mtok": 1}}},
        {"overrides": {"m": {"input_per_mtok": float("nan"), "output_per_mtok": 1}}},
    ],
)
def test_bad_configuration_is_rejected(kwargs):
    with pytest.raises(ValueError):
        PriceBook(**kwargs)


def test_negative_tokens_rejected():
    with pytest.raises(ValueError):
        PriceBook().price("gpt-4o", -1, 0)


def test_pricebook_pickles():
    book = PriceBook(overrides={"x": {"input_per_mtok": 1, "output_per_mtok": 1}}, unknown="error")
    book.price("gpt-4o", 1, 1)
    clone = pickle.loads(pickle.dumps(book))
    assert clone.price("x", 1_000_000, 0).usd == 1.0
    assert clone.price("gpt-4o", 10, 10) == book.price("gpt-4o", 10, 10)
    with pytest.raises(UnknownModelError):
        clone.price("nope", 1, 1)
