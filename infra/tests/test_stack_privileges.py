"""Least privilege of the local stack, without starting it: the S3 server's per-key policies are those of
compose and Kubernetes, NATS monitoring is off unless asked for, `stack env` hides secrets, state is 0600/0700.
(tests/e2e/test_least_privilege.py proves the same against the running servers.)"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from belegflow_ops import deploykit, stack


def _state(home: Path, **changes: object) -> stack.StackState:
    state = stack.StackState(
        home=str(home), nats_port=4001, nats_monitor_port=4002, pg_port=4003, s3_port=4004,
        s3_access_key="belegflow", s3_secret_key="operator-s3-secret",
        role_passwords={s: f"{s}-db-password" for s in stack.DB_SERVICES},
        nats_password="operator-nats-password", nats_issuer_seed=stack.new_issuer_seed(),
        nats_system_password="system-nats-password", bootstrap_api_key="bfk_bootstrap-key",
        service_nats_passwords={s: f"{s}-nats-password" for s in stack.SERVICES},
        s3_service_keys={s: [f"belegflow-{s}", f"{s}-s3-secret"] for s in stack.SERVICES},
        pg_superuser_password="pg-superuser-password",
    )
    for name, value in changes.items():
        setattr(state, name, value)
    return state


# --- S3 ------------------------------------------------------------------------------------------


def test_each_service_key_gets_the_policy_it_has_in_compose_and_kubernetes(tmp_path: Path) -> None:
    config = stack.s3_config(_state(tmp_path))
    identities = {i["name"]: i for i in config["identities"]}
    policies = {p["name"]: json.loads(p["content"]) for p in config["policies"]}
    assert set(identities) == {"belegflow", *(deploykit.s3_user(s) for s in stack.SERVICES)}
    for service in stack.SERVICES:
        identity = identities[deploykit.s3_user(service)]
        # no coarse action (Write would include Delete): only the policy speaks
        assert identity["actions"] == []
        assert identity["credentials"] == [{"accessKey": f"belegflow-{service}", "secretKey": f"{service}-s3-secret"}]
        expected = deploykit.s3_policy(service)
        if expected is None:  # matching, accrual: nothing at all
            assert "policyNames" not in identity
            assert deploykit.s3_user(service) not in policies
        else:
            assert identity["policyNames"] == [deploykit.s3_user(service)]
            assert policies[deploykit.s3_user(service)] == expected
    granted = {a for p in policies.values() for st in p["Statement"] for a in st["Action"]}
    assert not {a for a in granted if "Delete" in a or a in {"s3:*", "s3:CreateBucket"}}


# --- NATS monitoring -----------------------------------------------------------------------------


def test_nats_monitoring_is_off_unless_asked_for_and_then_on_localhost_only(tmp_path: Path) -> None:
    off = stack.nats_config(_state(tmp_path), tmp_path)
    assert not [line for line in off.splitlines() if line.strip().startswith(("http", "https", "monitor"))]
    on = stack.nats_config(_state(tmp_path, nats_monitor=True), tmp_path)
    assert [line.strip() for line in on.splitlines() if line.startswith("http")] == ["http: 127.0.0.1:4002"]


# --- `stack env` ---------------------------------------------------------------------------------


def _secrets(state: stack.StackState) -> list[str]:
    return [state.nats_password, state.nats_system_password, state.nats_issuer_seed, state.s3_secret_key,
            state.pg_superuser_password, state.bootstrap_api_key, *state.role_passwords.values(),
            *state.service_nats_passwords.values(), *(pair[1] for pair in state.s3_service_keys.values())]


def test_the_shown_environment_hides_every_secret_and_keeps_the_rest(tmp_path: Path) -> None:
    state = _state(tmp_path, session_secret="session-signing-secret") if hasattr(
        stack.StackState, "session_secret") else _state(tmp_path)
    for service in stack.SERVICES:
        env = state.service_env(service)
        shown = stack.redacted_env(env)
        assert shown.keys() == env.keys()
        text = "\n".join(f"{k}={v}" for k, v in shown.items())
        for secret in [*_secrets(state), "session-signing-secret"]:
            assert secret not in text, (service, secret)
        assert shown["BELEGFLOW_S3_ACCESS_KEY_ID"] == f"belegflow-{service}"
        assert shown["BELEGFLOW_NATS_URL"] == env["BELEGFLOW_NATS_URL"]
        assert shown["BELEGFLOW_DATABASE_URL"] == f"postgresql://{service}:***@127.0.0.1:4003/belegflow"
        assert shown["BELEGFLOW_NATS_PASSWORD"] == "***"


def test_stack_env_prints_secrets_only_when_asked(tmp_path: Path) -> None:
    state = _state(tmp_path, pids={"nats": os.getpid()})  # a live process stands for the running stack
    stack.save_state(state)
    env = {**os.environ, "BELEGFLOW_HOME": str(tmp_path)}
    shown = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "env", "ingest"], capture_output=True,
                           text=True, timeout=60, check=True, env=env)
    for secret in _secrets(state):
        assert secret not in shown.stdout + shown.stderr
    assert "BELEGFLOW_NATS_PASSWORD=***" in shown.stdout
    assert str(stack.env_file(tmp_path, "ingest")) in shown.stderr
    full = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "env", "ingest", "--show-secrets"],
                          capture_output=True, text=True, timeout=60, check=True, env=env)
    assert f"BELEGFLOW_NATS_PASSWORD={state.service_nats_passwords['ingest']}" in full.stdout
    assert stat.S_IMODE(stack.env_file(tmp_path, "ingest").stat().st_mode) == 0o600


# --- file modes ----------------------------------------------------------------------------------


def test_an_older_stacks_state_loses_group_and_other_rights(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir(mode=0o755)
    (tmp_path / "logs").chmod(0o755)
    log = tmp_path / "logs" / "nats.log"
    log.write_text("x")
    log.chmod(0o644)
    kept = tmp_path / "pg"
    kept.mkdir()
    kept.chmod(0o711)
    stack.tighten(tmp_path, skip=(kept,))
    assert stat.S_IMODE((tmp_path / "logs").stat().st_mode) == 0o700
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.stat().st_mode) == 0o711


@pytest.mark.parametrize("older_mode", [None, 0o644])
def test_a_log_is_its_owners_alone(tmp_path: Path, older_mode: int | None) -> None:
    path = tmp_path / "logs" / "s3.log"
    if older_mode is not None:
        path.parent.mkdir()
        path.write_text("older\n")
        path.chmod(older_mode)
    stack.private_log(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if older_mode is None:
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    else:
        assert path.read_text() == "older\n"
