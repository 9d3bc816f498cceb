"""``tripwire deliver``: the webhook delivery worker (its own process, restartable alone)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from tripwire.embedded import ensure_topics
from tripwire.errors import ConfigError
from tripwire.lifecycle import STOP_DEADLINE_S, arm_deadline
from tripwire.settings import Settings

__all__ = ["run"]

log = logging.getLogger("tripwire.deliver")


def run(settings: Settings) -> int:
    """Consume ``tripwire.alerts`` / ``tripwire.triggers`` and deliver them until SIGTERM."""
    from sinks.webhooks import KafkaDeliveryLog, from_config
    from streams.delivery import run_delivery

    try:
        destinations, routes = from_config(settings.webhooks, env=os.environ)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if not destinations:
        raise ConfigError("no webhook destinations configured. Fix: add webhooks.destinations "
                          "to tripwire.yaml (see docs/webhooks.md).")
    logging.getLogger().setLevel(settings.log_level)
    ensure_topics(settings.bootstrap, settings.partitions)
    delivery_log = KafkaDeliveryLog(settings.bootstrap)
    print(f"delivering to {', '.join(sorted(destinations))} from {settings.bootstrap}",
          flush=True)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        def on_signal() -> None:
            arm_deadline(STOP_DEADLINE_S, "tripwire deliver")
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        await run_delivery(settings.bootstrap, destinations, routes, delivery_log,
                           stop_event=stop, on_dead_letter=delivery_log.dead_letter)

    try:
        asyncio.run(main())
    finally:
        delivery_log.close()
    return 0
