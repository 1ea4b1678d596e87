"""``python -m belegflow_ingest`` runs the service."""

from belegflow_ingest.app import main

main()
