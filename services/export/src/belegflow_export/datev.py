"""DATEV booking batch: approved invoices become an EXTF "Buchungsstapel" (format 700, category 21, version 13).

One booking per tax rate of an invoice. The creditor account (``Konto``) is the supplier number from master
data, the GL account (``Gegenkonto``) the supplier's GL account (or the one a clerk set in review). An invoice
credits the creditor (``H``), a credit note debits it (``S``). The file is Windows-1252 with semicolons, CRLF
line ends and decimal commas; ``datev_check.check_extf`` enforces the field rules on every file written.

Rules for values DATEV cannot take as they are (each refusal names the invoice and the reason):

- invoice number (``Belegfeld 1``): blanks are removed; what is left must be 1 to 36 of ``A-Z a-z 0-9 _ $ % - /``,
  otherwise the invoice is refused;
- posting text (``Buchungstext``, supplier name and invoice number): characters outside Windows-1252 are
  folded to their base letter (``ő`` becomes ``o``, ``Ł`` becomes ``L``), anything still outside becomes ``?``;
  then the text is cut to 60 characters;
- cost centre (``KOST1``): up to 36 of letters, digits and blanks, otherwise refused;
- amounts: positive, at most 10 digits before the comma, exactly cents.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Final
from uuid import UUID

from belegflow_contracts.messages import DocumentType
from belegflow_export.errors import DatevDataError, DatevPeriodError

if TYPE_CHECKING:
    from belegflow_contracts.messages import AccruedV1

__all__ = [
    "EXTF_COLUMNS",
    "HEADER_FIELDS",
    "Booking",
    "DatevClient",
    "Period",
    "bookings_for",
    "document_link",
    "fold_to_cp1252",
    "parse_period",
    "tax_portions",
    "write_extf",
]

_FIRST_COLUMNS: Final = (
    "Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;WKZ Basis-Umsatz;Konto;"
    "Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;Belegfeld 1;Belegfeld 2;Skonto;Buchungstext;"
    "Postensperre;Diverse Adressnummer;Geschäftspartnerbank;Sachverhalt;Zinssperre;Beleglink;"
    + ";".join(f"Beleginfo - Art {i};Beleginfo - Inhalt {i}" for i in range(1, 9))
    + ";KOST1 - Kostenstelle;KOST2 - Kostenstelle;Kost-Menge;EU-Land u. UStID (Bestimmung);"
    "EU-Steuersatz (Bestimmung);Abw. Versteuerungsart;Sachverhalt L+L;Funktionsergänzung L+L;"
    "BU 49 Hauptfunktionstyp;BU 49 Hauptfunktionsnummer;BU 49 Funktionsergänzung;"
)
_LAST_COLUMNS: Final = (
    ";Stück;Gewicht;Zahlweise;Forderungsart;Veranlagungsjahr;Zugeordnete Fälligkeit;Skontotyp;Auftragsnummer;"
    "Buchungstyp;USt-Schlüssel (Anzahlungen);EU-Land (Anzahlungen);Sachverhalt L+L (Anzahlungen);"
    "EU-Steuersatz (Anzahlungen);Erlöskonto (Anzahlungen);Herkunft-Kz;Buchungs GUID;KOST-Datum;"
    "SEPA-Mandatsreferenz;Skontosperre;Gesellschaftername;Beteiligtennummer;Identifikationsnummer;Zeichnernummer;"
    "Postensperre bis;Bezeichnung SoBil-Sachverhalt;Kennzeichen SoBil-Buchung;Festschreibung;Leistungsdatum;"
    "Datum Zuord. Steuerperiode;Fälligkeit;Generalumkehr (GU);Steuersatz;Land;Abrechnungsreferenz;BVV-Position;"
    "EU-Land u. UStID (Ursprung);EU-Steuersatz (Ursprung);Abw. Skontokonto"
)
#: The 125 columns of a booking row, in the order DATEV reads them (line 2 of the file names them).
EXTF_COLUMNS: Final[tuple[str, ...]] = tuple(
    (_FIRST_COLUMNS
     + ";".join(f"Zusatzinformation - Art {i};Zusatzinformation- Inhalt {i}" for i in range(1, 21))
     + _LAST_COLUMNS).split(";")
)
#: The header line's fields (format 700): position 1..31.
HEADER_FIELDS: Final[tuple[str, ...]] = (
    "Kennzeichen", "Versionsnummer", "Formatkategorie", "Formatname", "Formatversion", "Erzeugt am", "Importiert",
    "Herkunft", "Exportiert von", "Importiert von", "Beraternummer", "Mandantennummer", "WJ-Beginn",
    "Sachkontenlänge", "Datum vom", "Datum bis", "Bezeichnung", "Diktatkürzel", "Buchungstyp",
    "Rechnungslegungszweck", "Festschreibung", "WKZ", "reserviert", "Derivatskennzeichen", "reserviert",
    "reserviert", "Sachkontenrahmen", "ID der Branchenlösung", "reserviert", "reserviert", "Anwendungsinformation",
)
_COL: Final = {name: index for index, name in enumerate(EXTF_COLUMNS)}
_CENT: Final = Decimal("0.01")
_MAX_AMOUNT: Final = Decimal("9999999999.99")
_INVOICE_NUMBER: Final = re.compile(r"^[A-Za-z0-9_$%\-/]{1,36}$")
_COST_CENTER: Final = re.compile(r"^[A-Za-z0-9 ]{1,36}$")
_DIGITS: Final = re.compile(r"^\d{1,9}$")
_TAX_KEY: Final = re.compile(r"^\d{1,4}$")
#: German VAT rates an invoice's tax is checked against, and a split of the two when one rate does not fit.
_RATES: Final = (Decimal(19), Decimal(7), Decimal(0))
DEFAULT_TAX_KEYS: Final[Mapping[Decimal, str]] = {Decimal(19): "9", Decimal(7): "8"}


@dataclass(frozen=True, slots=True)
class DatevClient:
    """The header's client: consultant and client numbers, fiscal year, account length, chart of accounts."""

    consultant_number: int
    client_number: int
    fiscal_year_start_month: int = 1
    account_length: int = 4
    chart_of_accounts: str = "03"

    def __post_init__(self) -> None:
        if not 1001 <= self.consultant_number <= 9_999_999:
            raise ValueError(f"DATEV consultant number {self.consultant_number} is not between 1001 and 9999999")
        if not 1 <= self.client_number <= 99_999:
            raise ValueError(f"DATEV client number {self.client_number} is not between 1 and 99999")
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise ValueError(f"fiscal year start month {self.fiscal_year_start_month} is not 1..12")
        if not 4 <= self.account_length <= 8:
            raise ValueError(f"GL account length {self.account_length} is not between 4 and 8")


@dataclass(frozen=True, slots=True)
class Period:
    """A booking period: one calendar month, ``2026-11``."""

    first: date
    last: date

    @property
    def name(self) -> str:
        return self.first.strftime("%Y-%m")


def parse_period(text: str) -> Period:
    """``YYYY-MM`` to its first and last day; anything else is refused with what was expected."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise DatevPeriodError(f"period {text!r} is not a month written YYYY-MM, e.g. 2026-11")
    first = date(int(match[1]), int(match[2]), 1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Period(first=first, last=following - timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Booking:
    """One booking row: what DATEV books for one tax rate of one invoice."""

    document_id: UUID
    amount: Decimal
    debit_credit: str
    currency: str
    account: str
    contra_account: str
    tax_key: str
    document_date: date
    invoice_number: str
    text: str
    cost_center: str = ""
    notes: tuple[str, ...] = field(default=())


def document_link(document_id: UUID) -> str:
    """``Beleglink``: DATEV's link to a document image delivered through the XML interface (its GUID)."""
    return f'BEDI "{document_id}"'


def fold_to_cp1252(text: str) -> str:
    """Characters Windows-1252 lacks become their base letter (NFKD without marks), else ``?``."""
    out: list[str] = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            base.encode("cp1252")
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append(_FOLD.get(char, "?"))
    return "".join(out)


# letters NFKD does not decompose (a stroke is no combining mark)
_FOLD: Final = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "ø": "o", "Ø": "O"}


def tax_portions(net: Decimal | None, tax: Decimal | None, gross: Decimal) -> list[tuple[Decimal | None, Decimal]]:
    """The invoice's gross split by tax rate: ``[(rate, gross part)]``; rate ``None`` when net and tax are unknown.

    A tax that is one rate of the net (to the cent) gives one part. Otherwise the net is split into a 19 % and
    a 7 % part that together give the tax (to two cents); if none fits, the invoice is refused.
    """
    if net is None or tax is None:
        return [(None, gross)]
    for rate in _RATES:
        if abs((net * rate / 100).quantize(_CENT) - tax) <= _CENT:
            return [(rate, gross)]
    high, low = _RATES[0], _RATES[1]
    net_high = ((tax - net * low / 100) / ((high - low) / 100)).quantize(_CENT)
    net_low = net - net_high
    if net_high > 0 and net_low > 0:
        tax_high = (net_high * high / 100).quantize(_CENT)
        tax_low = (net_low * low / 100).quantize(_CENT)
        if abs(tax_high + tax_low - tax) <= 2 * _CENT:
            gross_high = net_high + tax_high
            return [(high, gross_high), (low, gross - gross_high)]
    raise ValueError(f"tax {tax} of net {net} fits neither 19 %, 7 % nor 0 %, nor a split of 19 % and 7 %")


def bookings_for(event: AccruedV1, *, tax_keys: Mapping[Decimal, str] = DEFAULT_TAX_KEYS) -> list[Booking]:
    """The bookings of one approved invoice revision; ``DatevDataError`` lists every reason it cannot be booked."""
    invoice, supplier = event.invoice, event.supplier
    problems: list[str] = []
    notes: list[str] = []
    creditor = (supplier.supplier_number or "").strip() if supplier else ""
    gl_account = ((supplier.gl_account or "").strip() if supplier else "")
    if not creditor:
        problems.append("no creditor account: the invoice has no supplier from master data")
    elif not _DIGITS.fullmatch(creditor):
        problems.append(f"creditor account {creditor!r} is not 1 to 9 digits")
    if not gl_account:
        problems.append("no GL account: neither the supplier's master data nor the review set one")
    elif not _DIGITS.fullmatch(gl_account):
        problems.append(f"GL account {gl_account!r} is not 1 to 9 digits")
    number = re.sub(r"\s+", "", invoice.invoice_number or "")
    if not number:
        problems.append("no invoice number")
    elif len(number) > 36:
        problems.append(f"invoice number {number!r} has {len(number)} characters; DATEV's Belegfeld 1 takes 36")
    elif not _INVOICE_NUMBER.fullmatch(number):
        bad = sorted({c for c in number if not _INVOICE_NUMBER.fullmatch(c)})
        problems.append(f"invoice number {number!r} has characters DATEV's Belegfeld 1 does not take: "
                        + " ".join(repr(c) for c in bad))
    if invoice.invoice_date is None:
        problems.append("no invoice date")
    gross = invoice.gross_amount
    if gross is None:
        problems.append("no gross amount")
    elif gross.quantize(_CENT) != gross:
        problems.append(f"gross {gross} has more than two decimal places")
    elif not Decimal(0) < gross <= _MAX_AMOUNT:
        problems.append(f"gross {gross} is not between 0.01 and {_MAX_AMOUNT}")
    cost_center = ((supplier.cost_center or "").strip() if supplier else "")
    if cost_center and not _COST_CENTER.fullmatch(cost_center):
        problems.append(f"cost centre {cost_center!r} is not 1 to 36 letters, digits or blanks")
    currency = (invoice.currency or "EUR").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        problems.append(f"currency {currency!r} is no ISO 4217 code")
    portions: list[tuple[Decimal | None, Decimal]] = []
    if gross is not None and not problems:
        try:
            portions = tax_portions(invoice.net_amount, invoice.tax_amount, gross)
        except ValueError as exc:
            problems.append(str(exc))
    supplier_key = ((supplier.tax_key or "").strip() if supplier else "")
    if supplier_key and not _TAX_KEY.fullmatch(supplier_key):
        problems.append(f"tax key {supplier_key!r} is not 1 to 4 digits")
    if problems:
        raise DatevDataError(problems, document_id=str(event.document_id), invoice_number=invoice.invoice_number)
    assert invoice.invoice_date is not None  # checked above; mypy cannot follow the problems list
    name = supplier.name if supplier else ""
    text = fold_to_cp1252(f"{name} {number}".strip())
    if text != f"{name} {number}".strip():
        notes.append("posting text: characters outside Windows-1252 replaced")
    if len(text) > 60:
        text = text[:60]
        notes.append("posting text cut to 60 characters")
    credit_note = invoice.document_type is DocumentType.CREDIT_NOTE
    bookings = []
    for rate, part in portions:
        # master data's key wins where the invoice has one rate; a split takes each rate's standard key
        key = supplier_key if len(portions) == 1 and supplier_key else tax_keys.get(rate, "") if rate else ""
        bookings.append(Booking(
            document_id=event.document_id, amount=part, debit_credit="S" if credit_note else "H",
            currency=currency, account=creditor, contra_account=gl_account, tax_key=key,
            document_date=invoice.invoice_date, invoice_number=number, text=text, cost_center=cost_center,
            notes=tuple(notes),
        ))
    return bookings


# --- writing ---------------------------------------------------------------------------------------------------


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _amount(value: Decimal) -> str:
    return format(value.quantize(_CENT), "f").replace(".", ",")


def _row(booking: Booking) -> str:
    fields = [""] * len(EXTF_COLUMNS)
    fields[_COL["Umsatz (ohne Soll/Haben-Kz)"]] = _amount(booking.amount)
    fields[_COL["Soll/Haben-Kennzeichen"]] = _quote(booking.debit_credit)
    fields[_COL["WKZ Umsatz"]] = _quote(booking.currency)
    fields[_COL["Konto"]] = booking.account
    fields[_COL["Gegenkonto (ohne BU-Schlüssel)"]] = booking.contra_account
    fields[_COL["BU-Schlüssel"]] = _quote(booking.tax_key) if booking.tax_key else ""
    fields[_COL["Belegdatum"]] = booking.document_date.strftime("%d%m")
    fields[_COL["Belegfeld 1"]] = _quote(booking.invoice_number)
    fields[_COL["Buchungstext"]] = _quote(booking.text)
    fields[_COL["Beleglink"]] = _quote(document_link(booking.document_id))
    if booking.cost_center:
        fields[_COL["KOST1 - Kostenstelle"]] = _quote(booking.cost_center)
    fields[_COL["Festschreibung"]] = "0"
    return ";".join(fields)


def _header(client: DatevClient, period: Period, *, created_at: datetime, description: str) -> str:
    year = period.first.year if period.first.month >= client.fiscal_year_start_month else period.first.year - 1
    fiscal_start = date(year, client.fiscal_year_start_month, 1)
    stamp = created_at.strftime("%Y%m%d%H%M%S") + f"{created_at.microsecond // 1000:03d}"
    values = [
        _quote("EXTF"), "700", "21", _quote("Buchungsstapel"), "13", stamp, "", _quote("BF"),
        _quote("belegflow"), "", str(client.consultant_number), str(client.client_number),
        fiscal_start.strftime("%Y%m%d"), str(client.account_length), period.first.strftime("%Y%m%d"),
        period.last.strftime("%Y%m%d"), _quote(fold_to_cp1252(description)[:30]), "", "1", "0", "0",
        _quote("EUR"), "", "", "", "", _quote(client.chart_of_accounts), "", "", "", "",
    ]
    return ";".join(values)


def write_extf(client: DatevClient, period: Period, bookings: Iterable[Booking], *, created_at: datetime,
               description: str) -> bytes:
    """The booking batch file: header line, column names, one row per booking; Windows-1252, CRLF."""
    lines: Sequence[str] = [_header(client, period, created_at=created_at, description=description),
                            ";".join(EXTF_COLUMNS), *(_row(b) for b in bookings)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")
