"""The Faust worker: topics, agents, the monitor, checkpoints, the read API, the delivery
consumer. Configured by a plain :class:`streams.config.WorkerConfig`; never imports ``tripwire``."""

__all__: list[str] = []
