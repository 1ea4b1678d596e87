"""``python -m belegflow_ocr`` runs the service."""

from belegflow_ocr.app import main

main()
