"""The conventions every service runs by: settings, logging, tracing, storage, tracking and messaging."""

from belegflow_contracts.runtime.db import Outgoing
from belegflow_contracts.runtime.errors import IntegrityError, PermanentError, TransientError

__all__ = ["IntegrityError", "Outgoing", "PermanentError", "TransientError"]
