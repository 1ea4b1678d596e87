"""The agent's environment, read here and nowhere else.

``BELEGFLOW_EDGE_HOME``: the state folder (default ``~/.belegflow-edge``), when ``--home`` is not given.
``BELEGFLOW_EDGE_NATS_SERVERS``: comma-separated NATS URLs that replace the ones pairing gave (a relay, a
site-local leaf node). Read at each connect, so a long-running daemon sees the value it was started with.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "BELEGFLOW_EDGE_HOME"
SERVERS_ENV = "BELEGFLOW_EDGE_NATS_SERVERS"
DEFAULT_HOME = Path.home() / ".belegflow-edge"


def home(explicit: Path | None = None) -> Path:
    """The state folder: ``--home``, else the environment, else the default."""
    return explicit or Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)


def nats_servers_override() -> list[str]:
    """The NATS URLs from the environment, or an empty list to use those from pairing."""
    return [url.strip() for url in os.environ.get(SERVERS_ENV, "").split(",") if url.strip()]
