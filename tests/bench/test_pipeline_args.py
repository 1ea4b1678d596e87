"""`bench.pipeline` refuses arguments it cannot run with before it generates, measures or starts anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replicas", "ocr=x"], "--replicas wants SERVICE=N"),
        (["--replicas", "ocr"], "--replicas wants SERVICE=N"),
        (["--replicas", "ocr=0"], "--replicas wants 1 or more"),
        (["--replicas", "ocrr=2"], "no such service ocrr"),
        (["--replicas", "ingest=2"], "one ingest process"),
        (["--cluster", "2"], "--cluster wants 1"),
    ],
)
def test_bad_scale_out_arguments_are_refused_with_what_is_wanted(args: list[str], message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "bench.pipeline", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
