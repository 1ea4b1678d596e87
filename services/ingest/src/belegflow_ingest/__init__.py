"""belegflow ingest service: every document enters here."""

__all__: list[str] = []
