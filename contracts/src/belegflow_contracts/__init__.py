"""belegflow contracts: the only code services share."""

from belegflow_contracts import messages, subjects, types

__all__ = ["messages", "subjects", "types"]
