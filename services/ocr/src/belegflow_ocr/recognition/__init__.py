"""Recognition: readers, the registry that picks one, field extraction and validation."""

from belegflow_ocr.recognition.einvoice import EInvoice, PdfInvoiceReader, XmlInvoiceReader, parse_einvoice
from belegflow_ocr.recognition.extract import extract_to_json, recognition_to_json
from belegflow_ocr.recognition.extraction import extract_fields
from belegflow_ocr.recognition.model import BBox, PageInfo, ProtocolLog, Recognition, RecognitionStatus, Word
from belegflow_ocr.recognition.pdftext import PdfLimits, PdfTextReader, TextLayer, read_text_layer
from belegflow_ocr.recognition.readers import BaseReader, Reader
from belegflow_ocr.recognition.registry import ReaderFactory, ReaderRegistry, default_registry
from belegflow_ocr.recognition.sniff import sniff_media_type
from belegflow_ocr.recognition.validation import validate

__all__ = [
    "BBox",
    "BaseReader",
    "EInvoice",
    "PageInfo",
    "PdfInvoiceReader",
    "PdfLimits",
    "PdfTextReader",
    "ProtocolLog",
    "Reader",
    "ReaderFactory",
    "ReaderRegistry",
    "Recognition",
    "RecognitionStatus",
    "TextLayer",
    "Word",
    "XmlInvoiceReader",
    "default_registry",
    "extract_fields",
    "extract_to_json",
    "parse_einvoice",
    "read_text_layer",
    "recognition_to_json",
    "sniff_media_type",
    "validate",
]
