"""The ``tripwire`` command line.

Commands import their heavy dependencies lazily so ``tripwire --help`` stays fast. Errors that
Tripwire raises on purpose (bad settings, a port in use, a missing file) print one clear
message and exit with code 2; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tripwire.errors import TripwireError

__all__ = ["main", "build_parser"]

Command = Callable[[argparse.Namespace], int]


def _settings(args: argparse.Namespace) -> Any:
    from tripwire.settings import load_settings
    return load_settings(getattr(args, "config", None))


def cmd_worker(args: argparse.Namespace) -> int:
    from pathlib import Path

    from faust.worker import Worker as FaustWorker

    from streams.worker import tune_gc
    from tripwire.app import create_app
    from tripwire.embedded import ensure_topics
    from tripwire.lifecycle import STOP_DEADLINE_S, DirLock, arm_deadline
    from tripwire.tiktoken_cache import seed_at_startup

    class Worker(FaustWorker):  # type: ignore[misc]
        def _schedule_shutdown(self, signal: Any) -> None:
            # The graceful stop (final checkpoint, leaving the group) gets a bounded time:
            # with the broker gone it would otherwise wait for it indefinitely.
            arm_deadline(STOP_DEADLINE_S, "tripwire worker")
            super()._schedule_shutdown(signal)

    settings = _settings(args)
    if settings.dsn.startswith("chdb://"):  # the embedded store opens from one process only
        DirLock(Path(settings.dsn[len("chdb://"):])).acquire("the store directory",
                                                           "TRIPWIRE_DATA_DIR")
    ensure_topics(settings.bootstrap, settings.partitions)
    seed_at_startup()  # LLM events without usage are tokenized offline
    app, _ = create_app(settings)
    tune_gc()
    Worker(app, loglevel=settings.log_level.lower(), quiet=True).execute_from_commandline()
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from tripwire.stack import Stack, stop_on_signals

    settings = _settings(args)
    stop_on_signals()
    stack = Stack(settings, with_ui=not args.no_ui)
    try:
        stack.start()
        stack.echo("ready    press Ctrl-C to stop")
        stack.wait()
    except KeyboardInterrupt:
        stack.echo("stopping ...")
    finally:
        stack.stop()
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    import subprocess

    from tripwire.stack import ui_command, ui_env

    settings = _settings(args)
    print(f"ui on http://127.0.0.1:{settings.ui_port} (reads {settings.api_base}/api/v1)")
    return subprocess.call(ui_command(settings), env={**os.environ, **ui_env(settings)})


def cmd_demo(args: argparse.Namespace) -> int:
    from tripwire.demo import run_demo
    return run_demo(_settings(args), duration_s=args.duration, rate=args.rate,
                    with_ui=not args.no_ui)


def cmd_status(args: argparse.Namespace) -> int:
    from tripwire.stack import api_get

    settings = _settings(args)
    if args.config_dump:
        print(json.dumps(settings.masked(), indent=2, default=str))
        return 0
    try:
        stats = api_get(settings, "stats")
        entities = api_get(settings, "entities")
    except OSError as exc:
        print(f"worker API at {settings.api_base} is not reachable ({exc}). "
              "Start it with `tripwire up` or `tripwire worker`.", file=sys.stderr)
        return 1
    print(json.dumps({"api": settings.api_base, "stats": stats, "entities": entities},
                     indent=2, default=str))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from benchmarks import run_bench
    from tripwire.tiktoken_cache import ensure_tiktoken_cache

    ensure_tiktoken_cache()  # the llm benchmark tokenizes in this process
    result = run_bench(args.what, _settings(args), quick=args.quick)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


def build_parser(commands: dict[str, Command] | None = None) -> argparse.ArgumentParser:
    """The argument parser (extensions register more sub-commands through ``commands``)."""
    parser = argparse.ArgumentParser(prog="tripwire", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="tripwire.yaml path (default ./tripwire.yaml, "
                        "or $TRIPWIRE_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("up", help="start broker (embedded), worker and UI on loopback")
    p.add_argument("--no-ui", action="store_true", help="do not start the UI")
    p.set_defaults(func=cmd_up)
    sub.add_parser("worker", help="run one stream worker").set_defaults(func=cmd_worker)
    sub.add_parser("ui", help="serve the Streamlit UI").set_defaults(func=cmd_ui)

    p = sub.add_parser("demo", help="`up` plus synthetic traffic (a model and an LLM app)")
    p.add_argument("--duration", type=float, default=0, help="seconds, 0 = until Ctrl-C")
    p.add_argument("--rate", type=float, default=200, help="prediction events per second")
    p.add_argument("--no-ui", action="store_true")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("status", help="counts and entities from the running worker")
    p.add_argument("--config-dump", action="store_true", help="print settings (masked)")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("bench", help="repeatable measurements (prints JSON)")
    p.add_argument("what", choices=["ingest", "latency", "drift", "llm", "safety", "all"])
    p.add_argument("--json", action="store_true", help="one line of JSON")
    p.add_argument("--quick", action="store_true", help="smaller run (smoke test)")
    p.set_defaults(func=cmd_bench)

    from tripwire import cli_monitoring, golden
    cli_monitoring.register(sub)
    golden.register(sub)
    from tripwire import cli_groundedness
    cli_groundedness.register(sub)
    _config_everywhere(parser)
    return parser


def _config_everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept ``--config`` after any sub-command too (``tripwire replay F --config X``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if not any("--config" in a.option_strings for a in child._actions):
                    child.add_argument("--config", default=argparse.SUPPRESS,
                                       help="tripwire.yaml path (or $TRIPWIRE_CONFIG)")
                _config_everywhere(child)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tripwire`` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s", stream=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except TripwireError as exc:
        print(f"tripwire: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
