"""``python -m belegflow_accrual`` runs the service."""

from belegflow_accrual.app import main

main()
