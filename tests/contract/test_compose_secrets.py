"""compose.yaml runs with no example secret: each one must be set, and `belegflow stack secrets` makes them all."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECRET = re.compile(r"(PASSWORD|SECRET|SEED|API_KEY)")


def test_every_secret_in_compose_must_be_set_and_has_no_default() -> None:
    text = (REPO / "compose.yaml").read_text(encoding="utf-8")
    uses = re.findall(r"\$\{([A-Z0-9_]+)(:[-?][^}]*)?\}", text)
    secrets = {name for name, _ in uses if SECRET.search(name)}
    assert secrets, "compose names no secret"
    defaulted = sorted({name for name, rule in uses if SECRET.search(name) and rule.startswith(":-")})
    assert defaulted == [], f"secrets with an example value: {defaulted}"
    # each one is required (":?") at least once, so compose stops before it starts anything without it
    required = {name for name, rule in uses if rule.startswith(":?")}
    assert set(secrets) <= required


def test_stack_secrets_prints_every_secret_compose_requires() -> None:
    text = (REPO / "compose.yaml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    result = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "secrets"], capture_output=True,
                            text=True, timeout=60, check=True)
    printed = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert required <= set(printed)
    assert all(len(value) >= 20 for value in printed.values())
    again = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "secrets"], capture_output=True,
                           text=True, timeout=60, check=True)
    assert set(again.stdout.splitlines()).isdisjoint(result.stdout.splitlines())
