"""The ocr service's e-invoice visualisations: one viewer, driven from one thread, for the desk's requests."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.recognition.einvoice.viewer import EInvoiceViewer, ViewerFolderError, einvoice_xml
from belegflow_ocr.recognition.einvoice.xmlsafe import parse_xml


class EInvoiceViews:
    """Renders visualisations off the event loop; without a viewer folder it says why there are none."""

    def __init__(self, folder: Path | None) -> None:
        self._viewer: EInvoiceViewer | None = None
        self.why_not = "no XRechnung visualisation is installed (BELEGFLOW_EINVOICE_VIEWER_DIR)"
        if folder is not None:
            try:
                self._viewer = EInvoiceViewer(folder)
            except ViewerFolderError as exc:
                self.why_not = exc.message
        # Saxon keeps its state per thread: every render runs on this one
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="einvoice-view")

    @property
    def available(self) -> bool:
        return self._viewer is not None

    def _render(self, data: bytes, filename: str, language: Literal["de", "en"]) -> str | None:
        viewer = self._viewer
        xml = einvoice_xml(data, filename=filename)
        if viewer is None or xml is None:
            return None
        try:
            root = parse_xml(xml, filename=filename)
        except RecognitionError:
            return None
        if viewer.syntax_sheet(root) is None:
            return None
        return viewer.render(root, language=language)

    async def render(self, data: bytes, *, filename: str, language: Literal["de", "en"] = "de") -> str | None:
        """The visualisation of the original ``data`` (XML or hybrid PDF); None where it carries no e-invoice."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._render, data, filename, language)

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
