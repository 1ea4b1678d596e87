"""The checked-in JSON Schemas and AsyncAPI documents are what the code generates."""

from __future__ import annotations

from pathlib import Path

from belegflow_ops.schemas import contract_models, drift, generate

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def test_checked_in_schemas_match_the_code() -> None:
    # GIVEN the contracts and the services' brokers WHEN generating THEN nothing differs from the files
    problems = drift(CONTRACTS)
    assert problems == [], f"run `belegflow schemas` and commit: {problems}"


def test_every_contract_and_every_service_has_a_document() -> None:
    files = generate()
    assert {f"schemas/{name}.json" for name in contract_models()} <= files.keys()
    assert "schemas/RecognizedV1.json" in files
    for service in ("ingest", "ocr", "matching", "accrual", "export"):
        assert f"asyncapi/{service}.json" in files


def test_drift_is_detected(tmp_path: Path) -> None:
    # GIVEN a copy of the checked-in files with one contract schema changed
    for rel, content in generate().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content)
    (tmp_path / "schemas" / "IngestedV1.json").write_text("{}\n")
    (tmp_path / "schemas" / "GoneV1.json").write_text("{}\n")
    # WHEN checking THEN the change and the stale file are both reported
    assert sorted(drift(tmp_path)) == ["schemas/GoneV1.json (stale)", "schemas/IngestedV1.json"]
