"""The checked-in JSON Schemas and AsyncAPI documents are what the code generates."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

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


def test_the_asyncapi_documents_describe_what_integrators_subscribe_to() -> None:
    # GIVEN the generated AsyncAPI documents
    files = generate()
    sends = {}
    for service in ("ingest", "ocr", "matching", "accrual", "export"):
        doc = json.loads(files[f"asyncapi/{service}.json"])
        assert doc["asyncapi"] == "3.0.0"
        for op in doc["operations"].values():
            if op["action"] == "send":
                channel = doc["channels"][unquote(op["channel"]["$ref"].removeprefix("#/channels/"))]
                message = doc["components"]["messages"][unquote(
                    channel["messages"]["Message"]["$ref"].removeprefix("#/components/messages/"))]
                sends[channel["address"]] = (service, message["payload"]["$ref"].rsplit("/", 1)[1],
                                             channel["description"])
    # THEN every export subject, the decisions and the lifecycle events are published, each with its message
    assert {subject: (service, payload) for subject, (service, payload, _) in sends.items()} == {
        "docs.*.ingested.v1": ("ingest", "IngestedV1"),
        "docs.*.recognition-cancel.v1": ("ingest", "RecognitionCancelV1"),
        "docs.*.recognized.v1": ("ocr", "RecognizedV1"),
        "docs.*.matched.v1": ("matching", "MatchedV1"),
        "docs.*.decision.v1": ("matching", "DecisionV1"),
        "docs.*.accrued.v1": ("accrual", "AccruedV1"),
        "export.*.accruals.v1": ("accrual", "AccrualMovementV1"),
        "export.*.tms.v1": ("export", "TmsExportV1"),
        "export.*.tms.v2": ("export", "TmsExportV2"),
        "export.*.archived.v1": ("export", "ArchivedV1"),
        "export.*.datev.v1": ("export", "DatevResultV1"),
    }
    assert "EXPORT stream" in sends["export.*.tms.v1"][2]
