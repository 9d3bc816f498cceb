"""Alert and trigger delivery: signed generic JSON, Slack and PagerDuty webhooks.

Pieces, each in a private module:
- `from_config` -> `Destination`s and `Route`s (``webhooks:`` in tripwire.yaml);
- `NoiseControl` turns alert/trigger records into `Notification`s (pure, event-time);
- `Deliverer` sends one notification with retries, logging each attempt to a `DeliveryLog`;
- `sign`/`verify` implement Standard Webhooks v1; `check_url`/`GuardedResolver` the SSRF guard.
"""

from ._config import Destination, Route, from_config, route
from ._deliver import Deliverer, DeliveryResult
from ._errors import SignatureError, UnsafeDestinationError, WebhookConfigError
from ._formats import dedup_key, render, summarize
from ._kafka_log import DELIVERIES_TOPIC, KafkaDeliveryLog
from ._log import ROW_FIELDS, DeliveryLog, MemoryDeliveryLog
from ._noise import NoiseControl, Notification, record_key, webhook_id_for
from ._retry import RetryPolicy, parse_retry_after
from ._signing import Secret, generate_secret, sign, signature_headers, verify
from ._ssrf import EgressPolicy, GuardedResolver, check_url

__all__ = [
    "DELIVERIES_TOPIC",
    "ROW_FIELDS",
    "Deliverer",
    "DeliveryLog",
    "DeliveryResult",
    "Destination",
    "EgressPolicy",
    "GuardedResolver",
    "KafkaDeliveryLog",
    "MemoryDeliveryLog",
    "NoiseControl",
    "Notification",
    "RetryPolicy",
    "Route",
    "Secret",
    "SignatureError",
    "UnsafeDestinationError",
    "WebhookConfigError",
    "check_url",
    "dedup_key",
    "from_config",
    "generate_secret",
    "parse_retry_after",
    "record_key",
    "render",
    "route",
    "sign",
    "signature_headers",
    "summarize",
    "verify",
    "webhook_id_for",
]
