"""belegflow export service: TMS transfer XML, DATEV, archive and integrator subjects."""

__all__: list[str] = []
