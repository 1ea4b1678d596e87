"""``python -m belegflow_ops`` is the ``belegflow`` command."""

from belegflow_ops.cli import app

app()
