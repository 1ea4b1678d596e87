"""Least privilege on the local stack: each service's NATS user, database role and S3 key is refused what is
not its own; NATS monitoring is closed; state, logs, documents and exports are their owner's alone; secrets live
in files only their owner reads and never on a command line or in printed output."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import botocore.exceptions
import httpx
import nats
import nats.errors
import nats.js.errors
import pytest
from nats.aio.client import Client as NATS
from nats.js.api import StreamConfig

from belegflow_contracts import subjects
from belegflow_ops import processes, stack

pytestmark = pytest.mark.e2e


class Refusals:
    """A NATS connection as one service's user that records what the server refused."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: NATS | None = None

    async def connect(self, state: stack.StackState, service: str) -> NATS:
        user, password = state.nats_user_of(service)

        async def on_error(exc: Exception) -> None:
            self.errors.append(str(exc).lower())

        self.nc = await nats.connect(state.nats_server_url, user=user, password=password, error_cb=on_error,
                                     inbox_prefix=f"_INBOX_{service}".encode(), allow_reconnect=False,
                                     connect_timeout=5)
        return self.nc

    async def refused(self, what: str, *, timeout_s: float = 5.0) -> bool:
        """True once the server said 'permissions violation' about ``what``."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            if any("permissions violation" in e and what.lower() in e for e in self.errors):
                return True
            await asyncio.sleep(0.05)
        return False


@pytest.fixture
async def as_ocr(stack_state: stack.StackState) -> AsyncIterator[Refusals]:
    refusals = Refusals()
    await refusals.connect(stack_state, "ocr")
    try:
        yield refusals
    finally:
        assert refusals.nc is not None
        await refusals.nc.close()


async def _last_seq(nc: NATS, stream: str) -> int:
    info = await nc.jetstream().stream_info(stream)
    return int(info.state.last_seq)


# --- NATS ----------------------------------------------------------------------------------------


async def test_a_service_cannot_forge_another_services_export(as_ocr: Refusals, nc: NATS, tenant: str) -> None:
    # GIVEN the ocr service's user WHEN it publishes a TMS export into the EXPORT stream
    before = await _last_seq(nc, "EXPORT")
    assert as_ocr.nc is not None
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await as_ocr.nc.jetstream().publish(f"export.{tenant}.tms.v1", b"<forged/>", timeout=2)
    # THEN the server refuses it and the stream holds nothing new
    assert await as_ocr.refused(f"publish to \"export.{tenant}.tms.v1\"")
    assert await _last_seq(nc, "EXPORT") == before


async def test_a_service_cannot_listen_to_everything(as_ocr: Refusals) -> None:
    assert as_ocr.nc is not None
    await as_ocr.nc.subscribe(">")
    await as_ocr.nc.flush()
    assert await as_ocr.refused('subscription to ">"')


async def test_a_service_cannot_read_a_devices_replies(as_ocr: Refusals, tenant: str) -> None:
    assert as_ocr.nc is not None
    await as_ocr.nc.subscribe(f"_INBOX.{tenant}.kasse-01.>")
    await as_ocr.nc.flush()
    assert await as_ocr.refused(f"subscription to \"_inbox.{tenant}.kasse-01.>\"")


async def test_a_service_cannot_create_or_delete_streams(as_ocr: Refusals, nc: NATS) -> None:
    assert as_ocr.nc is not None
    js = as_ocr.nc.jetstream(timeout=2)
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await js.delete_stream("EXPORT")
    assert await as_ocr.refused('publish to "$js.api.stream.delete.export"')
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await js.add_stream(StreamConfig(name="SNOOP", subjects=["docs.>.snoop"]))
    assert await as_ocr.refused('publish to "$js.api.stream.create.snoop"')
    # the operator's user still sees EXPORT: nothing was deleted
    assert (await nc.jetstream().stream_info("EXPORT")).config.name == "EXPORT"


async def test_a_service_cannot_pull_from_another_services_consumer(as_ocr: Refusals) -> None:
    assert as_ocr.nc is not None
    await as_ocr.nc.publish("$JS.API.CONSUMER.MSG.NEXT.DOCS.export-accrued", b'{"batch": 1}',
                            reply="_INBOX_ocr.x")
    await as_ocr.nc.flush()
    assert await as_ocr.refused('publish to "$js.api.consumer.msg.next.docs.export-accrued"')


async def test_only_the_operator_writes_a_tenants_device_config(stack_state: stack.StackState, tenant: str) -> None:
    # GIVEN ingest (which reads device config) and matching (which writes device master data)
    for service in ("ingest", "matching"):
        refusals = Refusals()
        conn = await refusals.connect(stack_state, service)
        try:
            await conn.publish(f"$KV.device-config.{tenant}", b'{"version": 99}', reply=f"_INBOX_{service}.x")
            await conn.flush()
            # THEN neither may write any tenant's device config
            assert await refusals.refused(f'publish to "$kv.device-config.{tenant}"'), service
        finally:
            await conn.close()


async def test_each_service_may_do_its_own_work(stack_state: stack.StackState, nc: NATS, tenant: str) -> None:
    """The refusals above are refusals, not a broken login: the same users may publish what they own."""
    refusals = Refusals()
    conn = await refusals.connect(stack_state, "ocr")
    try:
        ack = await conn.jetstream().publish(f"docs.{tenant}.recognized.v1", b"{}", timeout=5,
                                             headers={"Nats-Msg-Id": f"lp-{tenant}"})
        assert ack.stream == "DOCS"
        assert not refusals.errors
    finally:
        await conn.close()


async def test_accrual_cannot_answer_for_matching(stack_state: stack.StackState, nc: NATS, tenant: str) -> None:
    # GIVEN accrual's user, which answers accrual batches on md.<tenant>.accruals.applied.v1
    refusals = Refusals()
    conn = await refusals.connect(stack_state, "accrual")
    try:
        before = await _last_seq(nc, "MD")
        # WHEN it publishes matching's answer to a supplier batch
        forged = subjects.masterdata_applied(tenant, "suppliers")
        await conn.publish(forged, b'{"applied": 0, "error": "forged"}')
        await conn.flush()
        # THEN the server refuses it and the MD stream holds nothing new
        assert await refusals.refused(f'publish to "{forged}"')
        assert await _last_seq(nc, "MD") == before
        # AND its own answer subject is still its own (a refusal, not a broken login)
        own = subjects.masterdata_applied(tenant, "accruals")
        await conn.publish(own, b"{}")
        await conn.flush()
        assert not await refusals.refused(f'publish to "{own}"', timeout_s=1.0)
    finally:
        await conn.close()


async def test_nats_monitoring_is_closed(stack_state: stack.StackState) -> None:
    # GIVEN the running stack (monitoring was not asked for) WHEN anyone asks its monitoring port for connections
    for port in [stack_state.nats_monitor_port, *(node[1] for node in stack_state.nats_extra_nodes)]:
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/connz?subs=1&auth=1", timeout=5)
    # THEN no server listens for HTTP at all: its config opens no monitoring port
    conf = (Path(stack_state.home) / "nats" / "nats-server.conf").read_text()
    assert not [line for line in conf.splitlines() if line.strip().startswith(("http", "monitor"))]


# --- Postgres ------------------------------------------------------------------------------------


async def test_postgres_refuses_a_login_without_the_right_password(stack_state: stack.StackState) -> None:
    dsn = f"postgresql://{{user}}@127.0.0.1:{stack_state.pg_port}/{stack.DB_NAME}"
    for user in (stack_state.pg_superuser, "ingest"):
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(dsn.format(user=user), password="", timeout=10)
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(dsn.format(user=user), password="wrong", timeout=10)
    # another service's password does not open ingest's role
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(dsn.format(user="ingest"), password=stack_state.role_passwords["export"], timeout=10)
    conn = await asyncpg.connect(stack_state.database_url("ingest"), timeout=10)
    try:
        assert await conn.fetchval("SELECT current_user") == "ingest"
    finally:
        await conn.close()
    admin = await asyncpg.connect(stack_state.admin_dsn, timeout=10)
    try:
        stored = await admin.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = 'ingest'")
        assert stored.startswith("SCRAM-SHA-256$")
        rules = await admin.fetch("SELECT type, auth_method FROM pg_hba_file_rules")
        assert rules
        assert all(r["auth_method"] == "scram-sha-256" for r in rules)
    finally:
        await admin.close()


# --- S3 ------------------------------------------------------------------------------------------


def _s3(state: stack.StackState, key: str, secret: str) -> Any:
    return boto3.client("s3", endpoint_url=state.s3_url, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name="us-east-1")


def _as(state: stack.StackState, service: str) -> Any:
    return _s3(state, *state.s3_key(service))


def _refused(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except botocore.exceptions.ClientError as exc:
        return exc.response["Error"]["Code"] == "AccessDenied"
    return False


async def test_s3_refuses_unknown_keys_and_serves_each_services_own(stack_state: stack.StackState) -> None:
    access, secret = stack_state.s3_key("ocr")
    assert access != stack_state.s3_access_key, "each service has its own key"
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        _s3(stack_state, access, "not-the-secret").list_objects_v2(Bucket="work", MaxKeys=1)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(botocore.exceptions.ClientError):
        _s3(stack_state, "nobody", secret).list_objects_v2(Bucket="work", MaxKeys=1)
    listing = _s3(stack_state, access, secret).list_objects_v2(Bucket="work", MaxKeys=1)
    assert listing["ResponseMetadata"]["HTTPStatusCode"] == 200


async def test_no_service_key_can_delete_or_replace_an_original(stack_state: stack.StackState) -> None:
    # GIVEN an original, put by ingest's key as intake does (content-addressed: putting the same bytes again is fine)
    key, data = f"lp-{uuid.uuid4().hex}/aa/original.pdf", b"%PDF-1.4 the original"
    ingest = _as(stack_state, "ingest")
    ingest.put_object(Bucket="originals", Key=key, Body=data)
    ingest.put_object(Bucket="originals", Key=key, Body=data)
    for service in stack.SERVICES:
        client = _as(stack_state, service)
        # WHEN each service's key deletes it, one by one or in a batch
        assert _refused(client.delete_object, Bucket="originals", Key=key), service
        batch = client.delete_objects(Bucket="originals", Delete={"Objects": [{"Key": key}]})
        assert not batch.get("Deleted"), service
        assert [e["Code"] for e in batch["Errors"]] == ["AccessDenied"], service
    # AND the readers (ocr, export) overwrite it
    for service in ("ocr", "export"):
        assert _refused(_as(stack_state, service).put_object, Bucket="originals", Key=key, Body=b"forged"), service
    # THEN it is still there, byte for byte
    operator = _s3(stack_state, stack_state.s3_access_key, stack_state.s3_secret_key)
    assert operator.get_object(Bucket="originals", Key=key)["Body"].read() == data


async def test_each_service_key_is_limited_to_its_buckets_and_actions(stack_state: stack.StackState,
                                                                      services: object) -> None:
    # GIVEN an object in every bucket but the archive (export made its bucket with object lock at start)
    operator = _s3(stack_state, stack_state.s3_access_key, stack_state.s3_secret_key)
    key = f"lp-{uuid.uuid4().hex}/object"
    for bucket in ("originals", "work", "exports"):
        operator.put_object(Bucket=bucket, Key=key, Body=b"x")
    ingest, ocr, export = (_as(stack_state, s) for s in ("ingest", "ocr", "export"))
    # ingest writes originals and reads them and ocr's work products back (the desk's page view); it writes no
    # work product and touches no export
    assert ingest.get_object(Bucket="originals", Key=key)["Body"].read() == b"x"
    assert ingest.get_object(Bucket="work", Key=key)["Body"].read() == b"x"
    assert _refused(ingest.put_object, Bucket="work", Key=key, Body=b"y")
    assert _refused(ingest.get_object, Bucket="exports", Key=key)
    # ocr reads originals and keeps its work products; no export, no archive
    assert ocr.get_object(Bucket="originals", Key=key)["Body"].read() == b"x"
    ocr.put_object(Bucket="work", Key=key, Body=b"y")
    assert ocr.get_object(Bucket="work", Key=key)["Body"].read() == b"y"
    assert _refused(ocr.put_object, Bucket="exports", Key=key, Body=b"y")
    assert _refused(ocr.list_objects_v2, Bucket="archive")
    # export reads originals, writes exports (never deletes them) and the archive, which it may not reconfigure
    assert export.get_object(Bucket="originals", Key=key)["Body"].read() == b"x"
    export.put_object(Bucket="exports", Key=key, Body=b"y")
    assert _refused(export.delete_object, Bucket="exports", Key=key)
    assert _refused(export.get_object, Bucket="work", Key=key)
    assert export.list_objects_v2(Bucket="archive", MaxKeys=1)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert _refused(export.put_object_lock_configuration, Bucket="archive", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    # matching and accrual never touch S3: their keys may do nothing at all
    for service in ("matching", "accrual"):
        client = _as(stack_state, service)
        assert _refused(client.get_object, Bucket="originals", Key=key), service
        assert _refused(client.list_objects_v2, Bucket="work"), service
        assert _refused(client.put_object, Bucket="exports", Key=key, Body=b"y"), service
    # no service makes or removes buckets
    for service in stack.SERVICES:
        assert _refused(_as(stack_state, service).create_bucket, Bucket=f"lp-{uuid.uuid4().hex[:8]}"), service
        assert _refused(_as(stack_state, service).delete_bucket, Bucket="work"), service


# --- secrets at rest, on command lines and in output ------------------------------------------------


def _secrets(state: stack.StackState) -> list[str]:
    values = [state.nats_password, state.nats_system_password, state.nats_issuer_seed, state.s3_secret_key,
              state.pg_superuser_password, state.bootstrap_api_key, *state.role_passwords.values(),
              *state.service_nats_passwords.values(), *(pair[1] for pair in state.s3_service_keys.values())]
    return [v for v in values if v]


async def test_secret_files_are_readable_by_their_owner_only(stack_state: stack.StackState) -> None:
    home = Path(stack_state.home)
    files = [home / "stack.json", home / "nats" / "nats-server.conf", *sorted((home / "env").glob("*.env"))]
    assert len(files) == 2 + len(stack.SERVICES)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((home / "env").stat().st_mode) == 0o700


async def test_no_secret_on_a_command_line(stack_state: stack.StackState,
                                           services: object) -> None:  # services: their processes too
    secrets = _secrets(stack_state)
    assert len(secrets) > 10
    seen = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if stack_state.home in cmdline or "belegflow_" in cmdline or "nats-server" in cmdline:
            seen += 1
            for secret in secrets:
                assert secret not in cmdline, f"a secret on the command line of pid {proc.name}: {cmdline[:80]}"
    assert seen >= 3  # nats-server, postgres, weed (and the services) were looked at


async def test_stack_up_prints_no_secret(stack_state: stack.StackState) -> None:
    # GIVEN the running stack WHEN `belegflow stack up` runs again (it reports the running stack)
    result = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "up"], capture_output=True, text=True,
                            timeout=120, check=False, env={**os.environ, "BELEGFLOW_HOME": stack_state.home})
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert f"127.0.0.1:{stack_state.nats_port}" in output
    for secret in _secrets(stack_state):
        assert secret not in output


async def test_stack_up_on_a_running_stack_keeps_postgres_running(stack_state: stack.StackState) -> None:
    # GIVEN the running stack WHEN `belegflow stack up` runs again on it
    result = subprocess.run([sys.executable, "-m", "belegflow_ops", "stack", "up"], capture_output=True, text=True,
                            timeout=120, check=False, env={**os.environ, "BELEGFLOW_HOME": stack_state.home})
    assert result.returncode == 0, result.stderr
    # THEN Postgres, which runs as its own user when the stack is root's, still reaches its data folder: a
    # checkpoint (which opens pg_control by its full path) succeeds and the server answers afterwards
    if os.geteuid() == 0:
        assert stat.S_IMODE(Path(stack_state.home).stat().st_mode) & 0o001
    await _checkpoint_then_answer(stack_state.admin_dsn)


async def _checkpoint_then_answer(dsn: str) -> None:
    """A checkpoint succeeds (it opens pg_control by its full path) and a new connection is answered after it."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()


async def test_another_pytest_session_closing_its_root_leaves_the_test_stack_running(
    stack_state: stack.StackState, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # GIVEN the running test stack WHEN pytest's root folder is closed to 0700, as every new pytest session of
    # the same user does on this machine
    root = tmp_path_factory.getbasetemp().parent
    mode = stat.S_IMODE(root.stat().st_mode)
    root.chmod(0o700)
    try:
        # THEN Postgres (as root: its own user) still reaches its data folder: the stack lies outside that root
        assert not Path(stack_state.home).resolve().is_relative_to(root.resolve())
        await _checkpoint_then_answer(stack_state.admin_dsn)
    finally:
        root.chmod(mode)


async def test_state_logs_documents_and_exports_are_their_owners_alone(
    stack_state: stack.StackState, services: processes.ServiceSet
) -> None:
    # GIVEN the running stack and services, which have written logs, state, originals (in the S3 server's folder)
    home = Path(stack_state.home)
    # THEN the stack's folder is closed: as root, Postgres' own user may pass through folders to its own, no more
    closed = 0o076 if os.geteuid() == 0 else 0o077
    assert stat.S_IMODE(home.stat().st_mode) & closed == 0
    checked = 0
    for entry in ["stack.json", "services.json", "env", "logs", "nats", "s3-conf", stack.S3_DIR]:
        for folder, dirs, files in os.walk(home / entry) if (home / entry).is_dir() else [(str(home), [], [entry])]:
            for name in [*dirs, *files]:
                path = Path(folder) / name
                mode = path.lstat().st_mode
                if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                    assert stat.S_IMODE(mode) & (closed if stat.S_ISDIR(mode) else 0o077) == 0, (
                        f"{path} is {oct(stat.S_IMODE(mode))}")
                    checked += 1
    assert checked > 20
    # every log, the services' own too
    logs = sorted((home / "logs").glob("*.log"))
    assert {"nats.log", "postgres.log", "s3.log", "ingest.log", "export.log"} <= {p.name for p in logs}
    # the export folder and the watched folder are their owner's alone, and what the services write there too
    for written in (services.export_dir, services.inbox_dir):
        assert stat.S_IMODE(written.stat().st_mode) == 0o700
        for path in written.rglob("*"):
            assert stat.S_IMODE(path.lstat().st_mode) & 0o077 == 0, path
