"""``tripwire golden run``: the CI gate. Exit 0 when the version passes, 1 when it fails,
2 on a usage error (bad arguments, a bad golden file, a missing key variable)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from tripwire.errors import ConfigError

__all__ = ["register", "cmd_golden_run"]


def _system(path: str | None) -> str | None:
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"--system {path}: no such file. Fix: pass the system prompt file.")
    return p.read_text(encoding="utf-8")


def _api_key(name: str | None) -> str | None:
    if name is None:
        return None
    key = os.environ.get(name)
    if not key:
        raise ConfigError(f"--api-key-env {name}: the variable is not set or empty. Fix: "
                          f"export {name}=<key>, or leave out --api-key-env for an endpoint "
                          "without a key.")
    return key


def _check_args(args: argparse.Namespace) -> None:
    if args.concurrency < 1 or args.retries < 0 or args.timeout <= 0 or args.max_tokens < 1:
        raise ConfigError("--concurrency and --max-tokens must be >= 1, --retries >= 0 and "
                          "--timeout > 0. Fix: correct the value.")
    if args.max_cost_usd < 0 or not 0 <= args.min_pass_rate <= 1:
        raise ConfigError("--max-cost-usd must be >= 0 and --min-pass-rate in [0, 1]. "
                          "Fix: correct the value.")


def _client(args: argparse.Namespace) -> Any:
    from tripwire.golden._client import ChatClient

    try:
        return ChatClient(args.endpoint, args.model, _api_key(args.api_key_env),
                          timeout_s=args.timeout, retries=args.retries,
                          max_tokens=args.max_tokens, allow_http=args.allow_http)
    except ValueError as exc:  # the endpoint check names "judge base_url"; say --endpoint
        raise ConfigError(f"{str(exc).replace('judge base_url', '--endpoint')}. Fix: pass an "
                          "OpenAI-style base URL such as https://api.openai.com/v1.") from None


def _enricher(args: argparse.Namespace) -> Any:
    from detectors.llm import UnknownModelError
    from streams.monitor import Enricher, MonitorConfig
    from tripwire.settings import load_settings

    settings = load_settings(getattr(args, "config", None))
    enricher = Enricher(MonitorConfig.from_settings(settings.monitoring))
    try:
        cost = enricher.prices.price(args.model, 1000, 1000)
    except UnknownModelError:
        raise ConfigError(f"no price known for model {args.model!r} and "
                          "monitoring.unknown_price is 'error'. Fix: add it under "
                          "monitoring.prices in tripwire.yaml.") from None
    if cost.source == "unknown-rule" and cost.usd == 0:
        print(f"warning: no price known for {args.model!r}: its cost counts as $0, so "
              "--max-cost-usd cannot limit this run (set monitoring.prices)", file=sys.stderr)
    return settings, enricher


def cmd_golden_run(args: argparse.Namespace) -> int:
    from tripwire.golden._cases import load_cases
    from tripwire.golden._report import print_json, print_table, publish
    from tripwire.golden._run import run_golden
    from tripwire.tiktoken_cache import ensure_tiktoken_cache

    _check_args(args)
    cases = load_cases(args.set)
    system = _system(args.system)
    client = _client(args)
    settings, enricher = _enricher(args)
    ensure_tiktoken_cache()  # prompts are tokenized offline for the cost estimate
    run = asyncio.run(run_golden(
        cases, client, enricher, app=args.app, prompt_version=args.version, system=system,
        concurrency=args.concurrency, max_cost_usd=args.max_cost_usd,
        min_pass_rate=args.min_pass_rate))
    record = run.to_record()
    (print_json if args.json else print_table)(record, args)
    if not args.no_publish:
        publish(record, settings.bootstrap)
    return 0 if run.passed else 1


def register(sub: Any) -> None:
    """Add ``golden run`` to the ``tripwire`` sub-commands."""
    golden = sub.add_parser("golden", help="golden-set gate for a prompt version").add_subparsers(
        dest="golden_command", required=True, metavar="COMMAND")
    p = golden.add_parser("run", help="run a golden set against an OpenAI-compatible endpoint;"
                          " exit 0 pass, 1 fail, 2 usage error")
    p.add_argument("set", help="golden set, one JSON case per line")
    p.add_argument("--app", required=True, help="LLM app name (as in its events)")
    p.add_argument("--version", required=True, help="prompt version under test")
    p.add_argument("--endpoint", required=True,
                   help="OpenAI-style base URL, e.g. http://127.0.0.1:8000/v1")
    p.add_argument("--model", required=True, help="model name sent to the endpoint")
    p.add_argument("--system", help="file with the system prompt ({context} = the documents)")
    p.add_argument("--api-key-env", help="environment variable holding the bearer key")
    p.add_argument("--json", action="store_true", help="one JSON line per case + a summary")
    p.add_argument("--concurrency", type=int, default=4, help="calls in flight (default 4)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per attempt (60)")
    p.add_argument("--retries", type=int, default=3, help="retries on 429/5xx/network (3)")
    p.add_argument("--max-tokens", type=int, default=512, help="max_tokens per answer (512)")
    p.add_argument("--max-cost-usd", type=float, default=1.0,
                   help="cost cap of the whole run; cases that would exceed it fail (1.0)")
    p.add_argument("--min-pass-rate", type=float, default=1.0,
                   help="share of cases that must pass (default 1.0 = all)")
    p.add_argument("--allow-http", action="store_true",
                   help="allow plain http to a non-loopback endpoint")
    p.add_argument("--no-publish", action="store_true",
                   help="do not send the result to the tripwire.golden topic")
    p.set_defaults(func=cmd_golden_run)
