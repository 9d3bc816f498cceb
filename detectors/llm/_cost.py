"""Request cost from token counts: operator overrides, then genai-prices' bundled table.

Lookup order for ``price(llm_model, ...)`` (names are lower-cased and stripped):

1. ``overrides``: the full name, then the name without its provider prefix
   (``"azure/my-ft"`` finds an override for ``"my-ft"``). Source ``"override"``.
2. genai-prices (the table bundled in the installed package, version pinned by pyproject):
   ``"openai/gpt-4o"`` is tried as model ``gpt-4o`` at provider ``openai``, then as model
   ``gpt-4o`` at whichever provider genai-prices' own model matching picks, then as the full
   string. genai-prices' matchers resolve dated and aliased names (``gpt-4o-2024-08-06`` ->
   ``gpt-4o``, ``claude-3-5-sonnet-20241022`` -> ``claude-3-5-sonnet``). Source
   ``"genai-prices"``; ``model_matched`` is genai-prices' model id.
3. The ``unknown`` rule: ``"zero"`` (USD 0, but reported as source ``"unknown-rule"`` with
   ``model_matched=None``, never silently), ``"error"`` (raise :class:`UnknownModelError`), or
   a ``{"input_per_mtok", "output_per_mtok"}`` mapping used as the price.

No network: the PriceBook builds its own ``DataSnapshot`` from ``genai_prices.data.providers``
(the bundled data). It never starts ``UpdatePrices`` and ignores any snapshot another part of
the process installed with ``set_custom_snapshot``. genai-prices is imported on first use.

Prices can depend on the request time (start dates, off-peak hours). ``ts`` is the event time
in epoch seconds; with ``ts=None`` the latest listed price is used (evaluated at a fixed
far-future noon UTC, so no clock is read).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from ._tokens import split_provider

__all__ = ["Cost", "PriceBook", "UnknownModelError"]

_LATEST = datetime(9999, 12, 31, 12, 0, tzinfo=UTC)
_MTOK = 1_000_000
_MAX_CACHE = 10_000
_Rule = Literal["zero", "error"] | Mapping[str, float]


class UnknownModelError(LookupError):
    """No override and no genai-prices entry for a model, with ``unknown="error"``."""


@dataclass(frozen=True, slots=True)
class Cost:
    """Price of one request in USD and how it was found."""

    usd: float
    model_matched: str | None
    source: Literal["override", "genai-prices", "unknown-rule"]


def _rate(spec: Mapping[str, Any], what: str) -> tuple[float, float]:
    """Validate ``{"input_per_mtok": x, "output_per_mtok": y}`` -> (x, y)."""
    try:
        rates = (float(spec["input_per_mtok"]), float(spec["output_per_mtok"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{what}: need numeric 'input_per_mtok' and 'output_per_mtok'") from exc
    if not all(math.isfinite(r) and r >= 0 for r in rates):
        raise ValueError(f"{what}: prices must be finite and >= 0, got {rates}")
    return rates


class PriceBook:
    """Prices per model: ``overrides`` first, genai-prices next, the ``unknown`` rule last."""

    def __init__(
        self,
        overrides: Mapping[str, Mapping[str, float]] | None = None,
        unknown: _Rule = "zero",
    ) -> None:
        self._overrides = {
            k.strip().lower(): _rate(v, f"override {k!r}") for k, v in (overrides or {}).items()
        }
        if isinstance(unknown, Mapping):
            self._unknown: tuple[float, float] | str = _rate(unknown, "unknown rule")
        elif unknown in ("zero", "error"):
            self._unknown = unknown
        else:
            raise ValueError(f"unknown must be 'zero', 'error' or a price mapping, got {unknown!r}")
        self._init_caches()

    def _init_caches(self) -> None:
        self._snapshot: Any = None
        self._lookups: dict[str, tuple[Any, Any] | None] = {}
        self._linear: dict[int, tuple[Any, tuple[float, float, float] | None]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"_overrides": self._overrides, "_unknown": self._unknown}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_caches()

    def price(
        self, llm_model: str, input_tokens: int, output_tokens: int, ts: float | None = None
    ) -> Cost:
        """USD for ``input_tokens`` + ``output_tokens`` of ``llm_model`` at event time ``ts``."""
        if input_tokens < 0 or output_tokens < 0:
            raise ValueError(f"token counts must be >= 0, got {input_tokens}, {output_tokens}")
        name = llm_model.strip().lower()
        for key in (name, split_provider(name)[1]):
            rates = self._overrides.get(key)
            if rates is not None:
                return Cost(_linear_usd(rates, input_tokens, output_tokens), key, "override")
        found = self._lookup(name)
        if found is not None:
            usd = self._table_usd(found, input_tokens, output_tokens, ts)
            return Cost(usd, found[1].id, "genai-prices")
        return self._unknown_cost(llm_model, input_tokens, output_tokens)

    def _unknown_cost(self, llm_model: str, input_tokens: int, output_tokens: int) -> Cost:
        if self._unknown == "error":
            raise UnknownModelError(
                f"no price for model {llm_model!r}: add it to PriceBook(overrides=...) "
                "or choose unknown='zero' / a default price"
            )
        if isinstance(self._unknown, tuple):
            usd = _linear_usd(self._unknown, input_tokens, output_tokens)
            return Cost(usd, None, "unknown-rule")
        return Cost(0.0, None, "unknown-rule")

    def _lookup(self, name: str) -> tuple[Any, Any] | None:
        """(genai-prices provider, model) for ``name``, memoised (misses too)."""
        if name in self._lookups:
            return self._lookups[name]
        if self._snapshot is None:
            from genai_prices.data import providers
            from genai_prices.data_snapshot import DataSnapshot

            self._snapshot = DataSnapshot(providers=providers, from_auto_update=False)
        provider, bare = split_provider(name)
        attempts = [(bare, provider), (bare, None)] if provider else [(bare, None)]
        if provider:
            attempts.append((name, None))
        found = None
        for ref, pid in attempts:
            try:
                found = self._snapshot.find_provider_model(ref, None, pid, None)
                break
            except LookupError:
                continue
        if len(self._lookups) >= _MAX_CACHE:
            self._lookups.clear()
        self._lookups[name] = found
        return found

    def _table_usd(self, found: tuple[Any, Any], inp: int, out: int, ts: float | None) -> float:
        provider, model = found
        when = _LATEST if ts is None else datetime.fromtimestamp(ts, tz=UTC)
        model_price = model.get_prices(when)
        linear = self._linear_form(model_price)
        if linear is None:  # tiered prices: let genai-prices apply the tiers
            from genai_prices import Usage

            calc = model.calc_price(
                Usage(input_tokens=inp, output_tokens=out), provider, genai_request_timestamp=when
            )
            return float(calc.total_price)
        base, per_in, per_out = linear
        return base + inp * per_in + out * per_out

    def _linear_form(self, model_price: Any) -> tuple[float, float, float] | None:
        """(fixed, per input token, per output token) for an untiered ModelPrice, else None.

        Derived from genai-prices' own ``calc_price`` at (0,0), (1M,0), (0,1M), so per-request
        fees and any other rule genai-prices applies are kept; memoised per ModelPrice object.
        """
        hit = self._linear.get(id(model_price))
        if hit is not None and hit[0] is model_price:
            return hit[1]
        from genai_prices import Usage
        from genai_prices.types import TieredPrices

        form = None
        if not any(isinstance(v, TieredPrices) for v in vars(model_price).values()):

            def total(i: int, o: int) -> float:
                usage = Usage(input_tokens=i, output_tokens=o)
                return float(model_price.calc_price(usage)["total_price"])

            base = total(0, 0)
            form = (base, (total(_MTOK, 0) - base) / _MTOK, (total(0, _MTOK) - base) / _MTOK)
        self._linear[id(model_price)] = (model_price, form)  # keeps the object, so id is unique
        return form


def _linear_usd(rates: tuple[float, float], inp: int, out: int) -> float:
    return (inp * rates[0] + out * rates[1]) / _MTOK
