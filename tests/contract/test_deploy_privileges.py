"""Least privilege in the deployment kit: compose and Kubernetes give each service its own NATS user (exactly the
permissions of belegflow_ops.natsperms) and its own S3 key (a MinIO policy of its buckets and actions only), and
the checked-in NATS configs and MinIO policies equal what belegflow_ops.deploykit generates, so they cannot drift."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
import yaml
from nats.aio.client import Client as NATS

from belegflow_contracts import subjects
from belegflow_ops import deploykit, stack
from belegflow_ops.natsperms import permissions
from tests.contract.kustomize_lite import render

REPO = Path(__file__).resolve().parents[2]
CONF = REPO / "infra" / "nats" / "nats-server.conf"
VALUES = REPO / "infra" / "k8s" / "nats" / "values.yaml"
POLICIES = REPO / "infra" / "minio" / "policies"
K8S = REPO / "infra" / "k8s"
SERVICES = deploykit.SERVICES


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def _generated_region(text: str) -> str:
    start = text.index(deploykit.CONF_BEGIN)
    end = text.index(deploykit.CONF_END) + len(deploykit.CONF_END) + 1
    return text[start:end]


def test_services_of_the_kit_are_those_of_the_stack() -> None:
    assert set(SERVICES) == set(stack.SERVICES) == set(deploykit.S3_RIGHTS)


# --- NATS -------------------------------------------------------------------------------------------------


def test_compose_nats_config_equals_what_the_table_generates() -> None:
    assert _generated_region(CONF.read_text(encoding="utf-8")) == deploykit.nats_conf_block(), (
        "infra/nats/nats-server.conf differs from `belegflow stack nats-config`: paste its output between the markers")


def test_nats_config_command_prints_the_block_and_no_secret() -> None:
    out = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "nats-config"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out == deploykit.nats_conf_block()
    # every password is an environment reference
    passwords = re.findall(r"password: (\S+?)[,\s]", out)
    assert passwords
    assert all(p.startswith("$NATS_") for p in passwords)
    assert all(p.endswith("_PASSWORD") for p in passwords)
    helm = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "nats-config", "--helm"],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    assert yaml.safe_load(helm) == {"authorization": deploykit.helm_authorization()}


def _nats_env() -> dict[str, str]:
    issuer = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "issuer"], capture_output=True,
                            text=True, timeout=60, check=True).stdout
    names = [deploykit.OPERATOR_PASSWORD_ENV, "NATS_SYSTEM_PASSWORD",
             *(deploykit.nats_password_env(s) for s in SERVICES)]
    env = dict.fromkeys(names, "x" * 24)
    env["NATS_AUTH_ISSUER"] = dict(line.split("=", 1) for line in issuer.splitlines())["NATS_AUTH_ISSUER"]
    return env


def _nats_server() -> str:
    return str(Path(sys.executable).parent / "nats-server")


def test_nats_server_accepts_the_compose_config_and_needs_every_service_password() -> None:
    env = {**os.environ, **_nats_env()}
    ok = subprocess.run([_nats_server(), "-t", "-c", str(CONF)], capture_output=True, text=True, timeout=60,
                        env=env)
    assert ok.returncode == 0, ok.stderr
    del env[deploykit.nats_password_env("export")]
    refused = subprocess.run([_nats_server(), "-t", "-c", str(CONF)], capture_output=True, text=True, timeout=60,
                             env=env)
    assert refused.returncode != 0
    assert "NATS_EXPORT_PASSWORD" in refused.stdout + refused.stderr


def test_helm_values_authorization_equals_what_the_table_generates() -> None:
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    authorization = values["config"]["merge"]["authorization"]
    assert authorization == deploykit.helm_authorization(), (
        "infra/k8s/nats/values.yaml differs from `belegflow stack nats-config --helm`")
    users = {u["user"]: u for u in authorization["users"]}
    for service in SERVICES:
        assert users[deploykit.nats_user(service)]["permissions"] == permissions(service)
    # the operator alone has every right; every password reaches the server from the Secret
    assert "permissions" not in users[deploykit.OPERATOR_USER]
    env = values["container"]["env"]
    needed = {deploykit.OPERATOR_PASSWORD_ENV, *(deploykit.nats_password_env(s) for s in SERVICES)}
    assert needed <= set(env)
    assert all(env[name]["valueFrom"]["secretKeyRef"]["name"] == "nats-auth" for name in needed)


def test_compose_gives_each_service_its_own_nats_user_and_s3_key() -> None:
    compose = _compose()["services"]
    for name, spec in compose.items():
        service = "ocr" if name == "ocr-gpu" else name
        if service not in SERVICES:
            continue
        env = spec["environment"]
        assert env["BELEGFLOW_NATS_USER"] == deploykit.nats_user(service)
        assert env["BELEGFLOW_NATS_PASSWORD"].startswith(f"${{{deploykit.nats_password_env(service)}:?")
        assert env["BELEGFLOW_S3_ACCESS_KEY_ID"] == deploykit.s3_user(service)
        assert env["BELEGFLOW_S3_SECRET_ACCESS_KEY"].startswith(f"${{{deploykit.s3_secret_env(service)}:?")
        # no other service's secret in its environment
        others = [s for s in SERVICES if s != service]
        text = json.dumps(env)
        assert not any(deploykit.nats_password_env(o) in text or deploykit.s3_secret_env(o) in text for o in others)
    nats_env = compose["nats"]["environment"]
    assert {deploykit.OPERATOR_PASSWORD_ENV, *(deploykit.nats_password_env(s) for s in SERVICES)} <= set(nats_env)
    assert "NATS_OPERATOR_PASSWORD" in compose["belegflow-setup"]["environment"]["BELEGFLOW_NATS_URL"]


def test_stack_secrets_prints_each_service_password_and_key() -> None:
    out = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "secrets"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    printed = dict(line.split("=", 1) for line in out.splitlines())
    assert set(deploykit.deploy_secrets()) <= set(printed)
    # MinIO takes secret keys of 8 to 40 characters
    assert all(8 <= len(printed[deploykit.s3_secret_env(s)]) <= 40 for s in SERVICES)


# --- S3 (MinIO) -------------------------------------------------------------------------------------------


def test_policy_files_equal_what_the_table_generates() -> None:
    files = {p.name: p.read_text(encoding="utf-8") for p in POLICIES.glob("*")}
    assert files == deploykit.s3_policies(), "run `belegflow stack s3-policies --out infra/minio/policies`"
    configmap = (K8S / "base" / "minio-policies.yaml").read_text(encoding="utf-8")
    assert configmap == deploykit.s3_policies_configmap(), (
        "run `belegflow stack s3-policies --k8s > infra/k8s/base/minio-policies.yaml`")


def test_policies_are_valid_and_name_known_buckets_only() -> None:
    for path in POLICIES.glob("*.json"):
        policy = json.loads(path.read_text(encoding="utf-8"))
        assert set(policy) == {"Version", "Statement"}
        assert policy["Statement"]
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            assert all(re.fullmatch(r"s3:[A-Za-z]+", a) for a in statement["Action"])
            for resource in statement["Resource"]:
                match = re.fullmatch(r"arn:aws:s3:::([a-z0-9-]+)(/\*)?", resource)
                assert match, resource
                assert match.group(1) in subjects.S3_BUCKETS
                # bucket actions on the bucket, object actions on its objects
                on_bucket = set(statement["Action"]) <= deploykit.BUCKET_ACTIONS
                assert on_bucket == (match.group(2) is None)
            assert "s3:*" not in statement["Action"]
            assert "s3:DeleteObject" not in statement["Action"]


def _constants(service: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in (REPO / "services" / service / "src").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                found[node.targets[0].id] = node.value.value
    return found


def _s3_calls(service: str) -> set[tuple[str, str]]:
    """(method, bucket) of every ObjectStore call in the service's code; bucket "<ref>" where it follows a ref."""
    constants = _constants(service)
    calls: set[tuple[str, str]] = set()
    for path in (REPO / "services" / service / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name != "objects":
                continue
            first = node.args[0] if node.args else None
            key = first.attr if isinstance(first, ast.Attribute) else getattr(first, "id", "")
            bucket = constants.get(key, "<ref>") if node.func.attr != "get_verified" else "<ref>"
            calls.add((node.func.attr, bucket))
    return calls


ACTION_OF = {"put": "s3:PutObject", "put_content_addressed": "s3:PutObject", "get_bytes": "s3:GetObject",
             "get_verified": "s3:GetObject"}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_policy_matches_the_buckets_its_code_uses(service: str) -> None:
    rights = deploykit.S3_RIGHTS[service]
    calls = _s3_calls(service)
    used: set[str] = set()
    for method, bucket in calls:
        # a ref read follows an event's claim check: an original (a work product of ocr's own is named)
        target = "originals" if bucket == "<ref>" and method == "get_verified" else bucket
        if service == "ocr" and bucket == "<ref>":
            target = "originals"
        assert target in rights, f"{service} calls {method} on {target} but its policy has no such bucket"
        assert ACTION_OF[method] in rights[target], f"{service}: {method} on {target}"
        used.add(target)
    if service == "export":
        from belegflow_export.settings import Settings

        archive = Settings.model_fields["archive_bucket"].default
        assert archive in rights
        used.add(archive)
    # nothing granted that the code never uses
    assert set(rights) == used
    if not calls:
        assert deploykit.s3_policy(service) is None


def test_ingest_writes_originals_ocr_its_work_and_export_its_files() -> None:
    assert ("put", "originals") in _s3_calls("ingest")
    assert ("put", "work") in _s3_calls("ocr")
    assert ("put", "exports") in _s3_calls("export")
    assert _s3_calls("matching") == _s3_calls("accrual") == set()


def test_compose_creates_each_service_user_with_its_policy() -> None:
    compose = _compose()["services"]["createbuckets"]
    script = compose["command"][0]
    assert "./infra/minio/policies:/policies:ro" in compose["volumes"]
    for service in SERVICES:
        assert f'mc admin user add local {deploykit.s3_user(service)} "$${deploykit.s3_secret_env(service)}"' in script
        attached = f"mc admin policy attach local {deploykit.s3_user(service)} --user {deploykit.s3_user(service)}"
        assert (attached in script) == (deploykit.s3_policy(service) is not None)
    for name in deploykit.s3_policies():
        assert f"/policies/{name}" in script


# --- Kubernetes ---------------------------------------------------------------------------------------------


def _secret_keys() -> set[str]:
    secret = yaml.safe_load((K8S / "base" / "secret.example.yaml").read_text(encoding="utf-8"))
    return set(secret["stringData"])


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e for e in container.get("env", [])}


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_k8s_gives_each_service_its_own_nats_user_and_s3_key(overlay: str) -> None:
    docs = render(K8S / "overlays" / overlay)
    keys = _secret_keys()
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        service = doc["metadata"]["name"]
        env = _env(doc["spec"]["template"]["spec"]["containers"][0])
        assert env["BELEGFLOW_NATS_USER"]["value"] == deploykit.nats_user(service)
        assert env["BELEGFLOW_S3_ACCESS_KEY_ID"]["value"] == deploykit.s3_user(service)
        password = env["BELEGFLOW_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"]
        s3_secret = env["BELEGFLOW_S3_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["key"]
        assert (password, s3_secret) == (f"nats-{service}-password", f"s3-{service}-secret-access-key")
        assert {password, s3_secret} <= keys
    job = next(d for d in docs if d["kind"] == "Job")
    pod = job["spec"]["template"]["spec"]
    init = pod["initContainers"][0]
    assert init["image"].startswith("minio/mc:RELEASE.")
    script = init["args"][0]
    for service in SERVICES:
        assert f"mc admin user add local {deploykit.s3_user(service)}" in script
    for name in deploykit.s3_policies():
        assert f"/policies/{name}" in script
    assert {v["name"]: v for v in pod["volumes"]}["policies"]["configMap"]["name"] == "minio-policies"
    configmap = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "minio-policies")
    assert configmap["data"] == deploykit.s3_policies()
    secret_refs = [e["valueFrom"]["secretKeyRef"]["key"] for c in (init, pod["containers"][0])
                   for e in c["env"] if "valueFrom" in e and "secretKeyRef" in e["valueFrom"]]
    assert set(secret_refs) <= keys
    assert _env(pod["containers"][0])["BELEGFLOW_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == (
        "nats-operator-password")


# --- the compose NATS config on a real server ------------------------------------------------------------


@pytest.fixture
def compose_nats(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """nats-server with compose's config (its own ports and store folder); the URL and the passwords."""
    port, monitor = stack.free_port(), stack.free_port()
    text = CONF.read_text(encoding="utf-8")
    text = text.replace("port: 4222", f"port: {port}").replace("http_port: 8222", f"http_port: {monitor}")
    text = text.replace('store_dir: "/data"', f'store_dir: "{tmp_path / "js"}"')
    assert f"port: {port}" in text
    assert str(tmp_path) in text
    conf = tmp_path / "nats-server.conf"
    conf.write_text(text, encoding="utf-8")
    env = _nats_env()
    env.update({deploykit.nats_password_env(s): f"{s}-{'p' * 20}" for s in SERVICES})
    log = (tmp_path / "nats.log").open("wb")
    proc = subprocess.Popen([_nats_server(), "-c", str(conf)], env={**os.environ, **env}, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        stack._wait_port(port, what="nats-server", proc=proc)
        yield f"nats://127.0.0.1:{port}", env
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


async def _connect(url: str, service: str, password: str, errors: list[str]) -> NATS:
    async def on_error(exc: Exception) -> None:
        errors.append(str(exc).lower())

    return await nats.connect(url, user=deploykit.nats_user(service), password=password, error_cb=on_error,
                              allow_reconnect=False, connect_timeout=5, max_reconnect_attempts=0)


async def _refused(errors: list[str], what: str, timeout_s: float = 5.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        if any("permissions violation" in e and what.lower() in e for e in errors):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_compose_config_refuses_what_a_service_may_not_do(compose_nats: tuple[str, dict[str, str]]) -> None:
    url, env = compose_nats
    errors: list[str] = []
    ocr = await _connect(url, "ocr", env["NATS_OCR_PASSWORD"], errors)
    try:
        # a forged export published by ocr's user, a subscription to everything
        await ocr.publish("export.acme.tms.v1", b"{}")
        await ocr.flush()
        assert await _refused(errors, "export.acme.tms.v1")
        await ocr.subscribe(">")
        assert await _refused(errors, "subscription to \">\"")
    finally:
        await ocr.close()
    # export's own user may publish what it owns
    export_errors: list[str] = []
    export = await _connect(url, "export", env["NATS_EXPORT_PASSWORD"], export_errors)
    try:
        await export.publish("export.acme.tms.v1", b"{}")
        await export.flush()
        assert not await _refused(export_errors, "export.acme.tms.v1", timeout_s=1.0)
    finally:
        await export.close()
    # a service's user with another service's password is refused
    with pytest.raises(Exception, match=r"(?i)authorization"):
        await _connect(url, "export", env["NATS_OCR_PASSWORD"], [])
