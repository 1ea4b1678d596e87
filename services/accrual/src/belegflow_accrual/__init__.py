"""belegflow accrual service: which open accrual each invoice line settles."""

__all__: list[str] = []
