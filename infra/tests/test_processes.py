"""Service processes of the local stack, without starting them: replicas get names, ports and logs of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from belegflow_ops import processes


class _State:
    """What ``service_env`` asks of the stack: each service's own environment."""

    home = "/nonexistent"

    def service_env(self, service: str) -> dict[str, str]:
        return {"BELEGFLOW_SERVICE": service}


def _services(tmp_path: Path) -> processes.ServiceSet:
    return processes.ServiceSet(home=tmp_path, ingest_port=1, export_dir=tmp_path / "out", inbox_dir=tmp_path / "in")


def test_each_replica_of_a_service_gets_a_name_and_a_metrics_port_of_its_own(tmp_path: Path) -> None:
    services = _services(tmp_path)
    state: Any = _State()
    first = processes.service_env(state, services, "ocr", None)
    second = processes.service_env(state, services, "ocr", None, replica=2)
    assert set(services.metrics_ports) == {"ocr", "ocr-2"}
    assert first["BELEGFLOW_METRICS_PORT"] != second["BELEGFLOW_METRICS_PORT"]
    assert first["BELEGFLOW_SERVICE"] == second["BELEGFLOW_SERVICE"] == "ocr"  # same credentials, same consumers
    assert processes.replica_name("matching", 1) == "matching"
    assert processes.replica_name("matching", 3) == "matching-3"


def test_a_second_ingest_of_one_service_set_is_refused(tmp_path: Path) -> None:
    state: Any = _State()
    with pytest.raises(ValueError, match="one ingest process per service set"):
        processes.service_env(state, _services(tmp_path), "ingest", None, replica=2)


def test_replicas_of_a_service_that_does_not_exist_are_refused_before_anything_starts(tmp_path: Path) -> None:
    state: Any = _State()
    with pytest.raises(ValueError, match="no such service: ocrr"):
        processes.start_all(state, export_dir=tmp_path / "out", inbox_dir=tmp_path / "in", replicas={"ocrr": 2})
    assert not (tmp_path / "out").exists()
