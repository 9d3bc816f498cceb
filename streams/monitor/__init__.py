"""The pure, event-time monitor shared by the worker and ``tripwire replay``."""

from streams.monitor._app import AppMonitor, Enricher
from streams.monitor._config import ModelOverrides, MonitorConfig
from streams.monitor._entity import STATE_VERSION, Entity, EntityKey
from streams.monitor._model import PREDICTION_COLUMN, LatencyWindow, ModelMonitor
from streams.monitor._monitor import Monitor, entity_key

__all__ = ["AppMonitor", "Enricher", "Entity", "EntityKey", "LatencyWindow", "ModelMonitor",
           "ModelOverrides", "Monitor", "MonitorConfig", "PREDICTION_COLUMN", "STATE_VERSION",
           "entity_key"]
