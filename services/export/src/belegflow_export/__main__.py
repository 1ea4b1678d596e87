"""``python -m belegflow_export`` runs the service."""

from belegflow_export.app import main

main()
