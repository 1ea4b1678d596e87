"""Pure rules of the books: retention, keys, the schedule's months, the auditor's index.xml."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lxml import etree

from belegflow_export.archive import index_key, object_key, retain_until
from belegflow_export.books import due_periods
from belegflow_export.gdpdu import COLUMNS, index_xml


def test_retention_runs_to_the_end_of_the_year_plus_the_years() -> None:
    # GIVEN an invoice of March 2024 WHEN kept 8 years THEN until the end of 2032; booking records 10: end of 2034
    assert retain_until(date(2024, 3, 17), 8) == datetime(2033, 1, 1, tzinfo=UTC)
    assert retain_until(date(2024, 12, 31), 10) == datetime(2035, 1, 1, tzinfo=UTC)


def test_keys_are_content_addressed_per_tenant() -> None:
    sha = "ab" + "0" * 62
    assert object_key("demo", sha, ".pdf") == f"demo/objects/ab/{sha}.pdf"
    assert index_key("demo", 7) == "demo/index/000000000007.json"


def test_the_schedule_exports_earlier_months_from_its_day_on() -> None:
    months = [("demo", date(2026, 10, 1)), ("demo", date(2026, 11, 1)), ("acme", date(2026, 9, 1))]
    # before the day, or switched off: nothing
    assert due_periods(date(2026, 11, 2), months, day=3) == []
    assert due_periods(date(2026, 11, 20), months, day=0) == []
    # from the day on: every month before the current one, never the current one
    due = due_periods(date(2026, 11, 3), months, day=3)
    assert [(tenant, period.name) for tenant, period in due] == [("demo", "2026-10"), ("acme", "2026-09")]


def test_index_xml_describes_the_table_after_the_gdpdu_standard() -> None:
    data = index_xml("demo", date(2024, 1, 1), date(2024, 12, 31))
    tree = etree.fromstring(data, etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False))
    assert b'<!DOCTYPE DataSet SYSTEM "gdpdu-01-09-2004.dtd">' in data
    table = tree.find("Media/Table")
    assert table is not None
    assert table.findtext("URL") == "archive.csv"
    assert table.findtext("Validity/Range/From") == "01.01.2024"
    assert table.findtext("VariableLength/ColumnDelimiter") == ";"
    names = [c.findtext("Name") for c in table.find("VariableLength")  # type: ignore[union-attr]
             if c.tag in ("VariablePrimaryKey", "VariableColumn")]
    assert names == [name for name, _, _ in COLUMNS]
    # the record delimiter is CR LF, written as character references
    assert b"<RecordDelimiter>&#13;&#10;</RecordDelimiter>" in data


def test_a_tenant_may_have_its_own_datev_client() -> None:
    from belegflow_export.books import datev_client
    from belegflow_export.settings import DatevClientSettings, Settings

    settings = Settings(nats_url="nats://x", s3_endpoint_url="http://x", s3_access_key_id="k",
                        s3_secret_access_key="s", database_url="postgresql://x",
                        datev_clients={"acme": DatevClientSettings(consultant_number=29098, client_number=55003,
                                                                   account_length=5)})
    acme, other = datev_client(settings, "acme"), datev_client(settings, "demo")
    assert (acme.consultant_number, acme.client_number, acme.account_length) == (29098, 55003, 5)
    assert (other.consultant_number, other.client_number, other.account_length) == (1001, 1, 4)
