"""Typed look-ups in a parsed e-invoice that remember where each business term was read from."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from lxml import etree

Element = etree._Element

_WS = re.compile(r"\s+")


def _text_of(node: Element) -> str:
    return "".join(t if isinstance(t, str) else t.decode() for t in node.itertext())


@lru_cache(maxsize=2048)
def _compiled_for(path: str, namespaces: tuple[tuple[str, str], ...], thread: int) -> etree.XPath:
    return etree.XPath(path, namespaces=dict(namespaces))


def _compiled(path: str, namespaces: tuple[tuple[str, str], ...]) -> etree.XPath:
    # Compiled once per path; one per thread, since an lxml XPath object is not meant to be shared.
    return _compiled_for(path, namespaces, threading.get_ident())


class XmlDoc:
    """XPath look-ups with one prefix map; records the source path and raw text of each business term."""

    def __init__(self, root: Element, namespaces: dict[str, str]) -> None:
        self.root = root
        self.ns = namespaces
        self._prefixes = {uri: prefix for prefix, uri in namespaces.items()}
        self._ns_key = tuple(sorted(namespaces.items()))
        self.sources: dict[str, str] = {}
        self.raw: dict[str, str] = {}
        self.problems: list[str] = []

    # --- finding ------------------------------------------------------------------------------

    def all(self, el: Element | None, path: str) -> list[Element]:
        if el is None:
            return []
        found = _compiled(path, self._ns_key)(el)
        assert isinstance(found, list)
        return [f for f in found if isinstance(f, etree._Element)]

    def first(self, el: Element | None, path: str) -> Element | None:
        found = self.all(el, path)
        return found[0] if found else None

    def path_of(self, el: Element) -> str:
        """``/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID``, with ``[n]`` where siblings repeat."""
        steps: list[str] = []
        node: Element | None = el
        while node is not None:
            qname = etree.QName(node)
            prefix = self._prefixes.get(qname.namespace or "")
            name = f"{prefix}:{qname.localname}" if prefix else qname.localname
            parent = node.getparent()
            if parent is not None:
                same = [s for s in parent if s.tag == node.tag]
                if len(same) > 1:
                    name += f"[{same.index(node) + 1}]"
            steps.append(name)
            node = parent
        return "/" + "/".join(reversed(steps))

    def _record(self, bt: str | None, el: Element, raw: str) -> None:
        if bt and bt not in self.sources:
            self.sources[bt] = self.path_of(el)
            self.raw[bt] = raw

    # --- typed values ---------------------------------------------------------------------------

    def text(self, el: Element | None, path: str, bt: str | None = None) -> str | None:
        """The element's text with white space runs collapsed; empty is ``None``."""
        node = self.first(el, path)
        if node is None:
            return None
        raw = _text_of(node)
        value = _WS.sub(" ", raw).strip()
        if not value:
            return None
        self._record(bt, node, raw)
        return value

    def texts(self, el: Element | None, path: str) -> tuple[str, ...]:
        if el is None:
            return ()
        values = (_WS.sub(" ", _text_of(n)).strip() for n in self.all(el, path))
        return tuple(v for v in values if v)

    def multiline(self, el: Element | None, path: str, bt: str | None = None) -> str | None:
        """Text that keeps its line breaks (notes, payment terms), only trimmed."""
        node = self.first(el, path)
        if node is None:
            return None
        raw = _text_of(node)
        value = "\n".join(line.strip() for line in raw.strip().splitlines())
        if not value:
            return None
        self._record(bt, node, raw)
        return value

    def attr(self, el: Element | None, path: str, name: str) -> str | None:
        node = self.first(el, path)
        if node is None:
            return None
        value = node.get(name)
        return value.strip() if value and value.strip() else None

    def decimal(self, el: Element | None, path: str, bt: str | None = None) -> Decimal | None:
        node = self.first(el, path)
        return self.decimal_of(node, bt)

    def decimal_of(self, node: Element | None, bt: str | None = None) -> Decimal | None:
        if node is None or not (node.text or "").strip():
            return None
        raw = node.text or ""
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.problems.append(f"{bt or 'amount'}: {raw.strip()!r} at {self.path_of(node)} is not a number")
            return None
        self._record(bt, node, raw)
        return value

    def iso_date(self, el: Element | None, path: str, bt: str | None = None) -> date | None:
        """UBL dates: ``YYYY-MM-DD`` (a time zone suffix is allowed by xsd:date and ignored)."""
        node = self.first(el, path)
        if node is None or not (node.text or "").strip():
            return None
        raw = (node.text or "").strip()
        try:
            value = date.fromisoformat(raw[:10])
        except ValueError:
            self.problems.append(f"{bt or 'date'}: {raw!r} at {self.path_of(node)} is not a date (YYYY-MM-DD)")
            return None
        self._record(bt, node, raw)
        return value

    def cii_date(self, el: Element | None, path: str, bt: str | None = None) -> date | None:
        """CII dates: ``udt:DateTimeString`` with ``format="102"`` (CCYYMMDD); 610 and 616 name no day."""
        node = self.first(el, path)
        if node is None or not (node.text or "").strip():
            return None
        raw = (node.text or "").strip()
        fmt = node.get("format", "102")
        try:
            value = datetime.strptime(raw, "%Y%m%d").date() if fmt == "102" else date.fromisoformat(raw[:10])
        except ValueError:
            self.problems.append(f"{bt or 'date'}: {raw!r} (format {fmt}) at {self.path_of(node)} is not a date")
            return None
        self._record(bt, node, raw)
        return value
