"""I/O out: the ClickHouse store (``sinks.clickhouse``), webhook delivery (``sinks.webhooks``)."""

__all__: list[str] = []
