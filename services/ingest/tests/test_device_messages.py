"""Device request bodies (NATS and HTTP pairing): a valid body is the message, anything else names its first problem."""

from __future__ import annotations

import pytest

from belegflow_contracts.messages import PairingRequestV1, ReceiptQueryV1
from belegflow_ingest.edge import parse_message


def test_a_valid_body_is_the_message() -> None:
    parsed = parse_message(PairingRequestV1, b'{"code": "K7QM-2XWD-9HRT", "hostname": "kasse-03"}')
    assert parsed == PairingRequestV1(code="K7QM-2XWD-9HRT", hostname="kasse-03")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "not a valid PairingRequestV1: : Invalid JSON"),
        (b"{not json", "not a valid PairingRequestV1: : Invalid JSON"),
        (b"{}", "not a valid PairingRequestV1: code: Field required"),
        (b'{"code": ""}', "not a valid PairingRequestV1: code: String should have at least 1 character"),
    ],
    ids=["empty", "not-json", "missing-code", "blank-code"],
)
def test_a_bad_body_names_the_model_the_field_and_the_problem(body: bytes, problem: str) -> None:
    parsed = parse_message(PairingRequestV1, body)
    assert isinstance(parsed, str)
    assert parsed.startswith(problem)


def test_the_path_of_a_nested_problem_is_dotted() -> None:
    parsed = parse_message(ReceiptQueryV1, b'{"sequences": [1, "x"]}')
    assert parsed == ("not a valid ReceiptQueryV1: sequences.1: "
                      "Input should be a valid integer, unable to parse string as an integer")
