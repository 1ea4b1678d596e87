"""Ingest's decisions on repeating and cancelling a recognition: which revision, when refused, which engine."""

from __future__ import annotations

import base64
import json

import pytest

from belegflow_contracts.messages import OCR_ENGINES
from belegflow_ingest.domain import (
    RecognitionRequestError,
    Status,
    check_cancel,
    check_engine,
    dead_letter_revision,
    repeat_revision,
)


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.INGESTED])
def test_a_finished_recognition_can_be_repeated_as_the_next_revision(status: Status) -> None:
    assert repeat_revision(status, 1) == 2
    assert repeat_revision(status, 7) == 8


def test_a_recognition_still_running_is_not_repeated() -> None:
    with pytest.raises(RecognitionRequestError) as refused:
        repeat_revision(Status.INGESTED, 3)
    assert (refused.value.status_code, refused.value.code) == (409, "recognition-running")
    assert "revision 3 has not finished" in refused.value.message
    assert "cancel it first" in refused.value.message


def test_only_an_unfinished_recognition_can_be_cancelled_once() -> None:
    check_cancel(Status.INGESTED, 2, already_cancelled=False)  # allowed: no error
    with pytest.raises(RecognitionRequestError) as twice:
        check_cancel(Status.INGESTED, 2, already_cancelled=True)
    assert (twice.value.status_code, twice.value.code) == (409, "already-cancelled")


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.INGESTED])
def test_a_finished_recognition_cannot_be_cancelled_and_the_error_says_so(status: Status) -> None:
    for already in (False, True):
        with pytest.raises(RecognitionRequestError) as late:
            check_cancel(status, 4, already_cancelled=already)
        assert (late.value.status_code, late.value.code) == (409, "recognition-finished")
        assert f"revision 4 has already finished (status {status.value})" in late.value.message


@pytest.mark.parametrize("engine", OCR_ENGINES)
def test_known_engines_are_accepted_in_any_case(engine: str) -> None:
    assert check_engine(engine) == engine
    assert check_engine(f" {engine.upper()} ") == engine


def test_no_engine_lets_ocr_choose() -> None:
    assert check_engine(None) is None


@pytest.mark.parametrize("engine", ["", "abbyy", "tesseract5", "ppocr"])
def test_an_unknown_engine_is_refused_with_the_choices(engine: str) -> None:
    with pytest.raises(RecognitionRequestError) as refused:
        check_engine(engine)
    assert (refused.value.status_code, refused.value.code) == (400, "unknown-engine")
    assert repr(engine) in refused.value.message
    assert all(name in refused.value.message for name in OCR_ENGINES)


def _b64(data: object) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    ("payload", "revision"),
    [
        (_b64({"document_id": "x", "revision": 3}), 3),
        (_b64({"document_id": "x"}), None),
        (_b64({"revision": "2"}), None),
        (_b64({"revision": 0}), None),
        (_b64({"revision": True}), None),
        (_b64([1, 2]), None),
        (base64.b64encode(b"not json").decode(), None),
        ("%%% not base64", None),
    ],
    ids=["revision", "none", "string", "zero", "bool", "not-an-object", "not-json", "not-base64"],
)
def test_the_revision_of_a_dead_letter_is_read_from_its_payload(payload: str, revision: int | None) -> None:
    assert dead_letter_revision(payload) == revision
