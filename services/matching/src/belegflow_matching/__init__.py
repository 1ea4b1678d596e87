"""belegflow matching service: who sent the invoice, and may it pass without a clerk."""

__all__: list[str] = []
