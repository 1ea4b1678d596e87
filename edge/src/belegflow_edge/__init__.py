"""belegflow edge agent: durable offline capture, the device's number ranges, sync with central."""

__version__ = "0.1.0"
