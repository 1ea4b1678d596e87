"""``python -m belegflow_matching`` runs the service."""

from belegflow_matching.app import main

main()
