"""Text read from a document is always storable: Postgres, JSON and XML 1.0 hold every field and line."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from belegflow_contracts.messages import InvoiceLineV1, TextFieldV1
from belegflow_contracts.types import storable_text


@pytest.mark.parametrize(
    ("read", "stored"),
    [
        ("Spedition Nordlicht GmbH", "Spedition Nordlicht GmbH"),
        ("Fracht\x0cSeite 2\x00", "Fracht Seite 2 "),            # a form feed and NUL are spaces
        ("Summe \ud83d 119,00", "Summe \ufffd 119,00"),         # a lone surrogate is marked, not dropped
        ("Danke \ud83d\ude00", "Danke \U0001f600"),             # a pair of surrogates is the emoji it stands for
        ("a\x85b\x9fc\x7fd", "a b c d"),                        # so are DEL and the C1 controls
        ("x\uffffy\ufdd0z\U0010fffe", "xyz"),                   # noncharacters
        ("Pos.\t1\nStraße", "Pos.\t1\nStraße"),                 # tab, newline and letters stay
    ],
)
def test_text_loses_only_what_cannot_be_stored(read: str, stored: str) -> None:
    assert storable_text(read) == stored


def test_fields_and_lines_made_of_odd_text_serialise_everywhere() -> None:
    # GIVEN a field and a line as a broken font hands them over
    field = TextFieldV1(value="RE-\x1b4711 \udc00", confidence=0.9)
    line = InvoiceLineV1(position=1, description="Fracht \ud83d\x00", reference_text="\x02MSCU5501845\uffff")
    # THEN what they hold encodes as UTF-8 and fits into an XML document
    payload = json.dumps([field.model_dump(mode="json"), line.model_dump(mode="json")], ensure_ascii=False)
    payload.encode("utf-8")
    element = etree.Element("line")
    element.text = field.value + line.description + line.reference_text
    assert etree.tostring(element, encoding="unicode") == "<line>RE- 4711 \ufffdFracht \ufffdMSCU5501845</line>"
