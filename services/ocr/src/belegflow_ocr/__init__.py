"""belegflow ocr service: recognition of invoices from e-invoice XML, PDF text layers and scans."""

from belegflow_ocr.domain import recognize
from belegflow_ocr.recognition import ReaderRegistry, Recognition, default_registry, extract_to_json, sniff_media_type

__all__ = ["ReaderRegistry", "Recognition", "default_registry", "extract_to_json", "recognize", "sniff_media_type"]
