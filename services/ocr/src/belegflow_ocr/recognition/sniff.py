"""The media type as the reader registry scores it: the shared sniffing, as a string."""

from __future__ import annotations

from belegflow_contracts.media import sniff


def sniff_media_type(data: bytes) -> str | None:
    """Media type from magic bytes, or ``None``; see :func:`belegflow_contracts.media.sniff`."""
    media_type = sniff(data)
    return media_type.value if media_type else None
