"""The profile an e-invoice claims, told from its specification identifier (BT-24 / guideline ID)."""

from __future__ import annotations

# Checked in this order: the most specific part of the identifier wins (an XRechnung extension also
# names XRechnung; Factur-X EXTENDED is "conformant" to EN 16931 and names it first).
_MARKERS: tuple[tuple[str, str], ...] = (
    ("kosit:extension", "XRECHNUNG EXTENSION"),
    ("xrechnung", "XRECHNUNG"),
    ("xeinkauf.de", "XRECHNUNG"),
    ("peppol.eu", "PEPPOL BIS"),
    (":minimum", "MINIMUM"),
    (":basicwl", "BASIC WL"),
    (":extended", "EXTENDED"),
    ("crossindustrydocument:invoice:1p0:basic", "BASIC"),
    ("crossindustrydocument:invoice:1p0:comfort", "COMFORT"),
    (":basic", "BASIC"),
    ("urn:cen.eu:en16931:2017", "EN16931"),
)


def profile_of(customization_id: str | None) -> str | None:
    """MINIMUM, BASIC WL, BASIC, EN16931, EXTENDED, XRECHNUNG (EXTENSION), COMFORT (ZUGFeRD 1.0), PEPPOL BIS."""
    if not customization_id:
        return None
    lowered = customization_id.lower()
    for marker, profile in _MARKERS:
        if marker in lowered:
            return profile
    return None
