"""Start, stop and kill the five service processes against a stack (for `make run`, tests and benchmarks)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from belegflow_ops.stack import PRIVATE_UMASK, SERVICES, StackState, _alive, free_port, private_log, write_secret


@dataclass
class ServiceSet:
    home: Path
    ingest_port: int
    export_dir: Path
    inbox_dir: Path
    pids: dict[str, int] = field(default_factory=dict)
    # each service's /livez, /readyz and /metrics port (one per service: they share a host)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    api_key: str = field(default="", repr=False)  # the stack's bootstrap key; never written to services.json

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.ingest_port}"

    @property
    def auth(self) -> dict[str, str]:
        """The Authorization header of the bootstrap key (every role, every tenant)."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def metrics_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.metrics_ports[service]}"

    def save(self) -> None:
        write_secret(self.home / "services.json", json.dumps({
            "ingest_port": self.ingest_port, "export_dir": str(self.export_dir), "inbox_dir": str(self.inbox_dir),
            "pids": self.pids, "metrics_ports": self.metrics_ports}, indent=2))

    @classmethod
    def load(cls, home: Path) -> ServiceSet | None:
        path = home / "services.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return cls(home=home, ingest_port=data["ingest_port"], export_dir=Path(data["export_dir"]),
                   inbox_dir=Path(data["inbox_dir"]), pids={k: int(v) for k, v in data["pids"].items()},
                   metrics_ports={k: int(v) for k, v in data.get("metrics_ports", {}).items()})


# The e-invoice rules of the local stack: the development copy beside the checkout, unless the environment names one
DEV_EINVOICE_RULES = Path(__file__).resolve().parents[3].parent / "shared" / "tools" / "einvoice-rules"
DEV_EINVOICE_VIEWER = DEV_EINVOICE_RULES.parent / "xrechnung-visualization"


def replica_name(service: str, replica: int) -> str:
    """``ocr`` for the first replica of a service, ``ocr-2`` for the second, and so on."""
    return service if replica == 1 else f"{service}-{replica}"


def service_env(
    state: StackState, services: ServiceSet, service: str, extra: dict[str, str] | None, *, replica: int = 1
) -> dict[str, str]:
    if service == "ingest" and replica != 1:
        raise ValueError("one ingest process per service set: it owns the upload port and the inbox folder")
    env = {**os.environ, **state.service_env(service)}
    env.setdefault("BELEGFLOW_OTEL_EXPORTER", "none")
    env["BELEGFLOW_METRICS_PORT"] = str(services.metrics_ports.setdefault(replica_name(service, replica), free_port()))
    if service == "ingest":
        env["BELEGFLOW_HTTP_HOST"] = "127.0.0.1"
        env["BELEGFLOW_HTTP_PORT"] = str(services.ingest_port)
        env["BELEGFLOW_INBOX_DIR"] = str(services.inbox_dir)
    if service == "export":
        env["BELEGFLOW_EXPORT_DIR"] = str(services.export_dir)
    if service == "ocr":
        env.setdefault("BELEGFLOW_EINVOICE_RULES_DIR", str(DEV_EINVOICE_RULES))
        if DEV_EINVOICE_VIEWER.is_dir():
            env.setdefault("BELEGFLOW_EINVOICE_VIEWER_DIR", str(DEV_EINVOICE_VIEWER))
    env.update(extra or {})
    return env


def start_one(
    state: StackState, services: ServiceSet, service: str, *, extra_env: dict[str, str] | None = None,
    replica: int = 1,
) -> int:
    """Starts ``service`` (its ``replica``-th process: the replicas share its durable consumers and its schema)."""
    name = replica_name(service, replica)
    env = service_env(state, services, service, extra_env, replica=replica)
    # its log, and the originals, exports and rejected files it writes, are its owner's alone (0600, folders 0700)
    with private_log(services.home / "logs" / f"{name}.log").open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", f"belegflow_{service}"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True, umask=PRIVATE_UMASK,
        )
    services.pids[name] = proc.pid
    services.save()
    return proc.pid


def start_all(
    state: StackState, *, export_dir: Path, inbox_dir: Path, extra_env: dict[str, str] | None = None,
    ingest_port: int | None = None, replicas: Mapping[str, int] | None = None,
) -> ServiceSet:
    """Every service, ``replicas[service]`` processes of it (default one each), ready when this returns."""
    unknown = sorted(set(replicas or {}) - set(SERVICES))
    if unknown:
        raise ValueError(f"no such service: {', '.join(unknown)} (services: {', '.join(SERVICES)})")
    home = Path(state.home)
    services = ServiceSet(home=home, ingest_port=ingest_port or free_port(), export_dir=export_dir.resolve(),
                          inbox_dir=inbox_dir.resolve(), api_key=state.bootstrap_api_key)
    for folder in (services.export_dir, services.inbox_dir):
        # exports and dropped documents: the folder is closed to others (what an older run left inside too)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
    try:
        for service in SERVICES:
            for replica in range(1, (replicas or {}).get(service, 1) + 1):
                start_one(state, services, service, extra_env=extra_env, replica=replica)
        wait_ready(services)
    except BaseException:
        stop_all(services)  # none of them may outlive a start that failed
        raise
    return services


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def wait_ready(services: ServiceSet, *, timeout_s: float = 60.0) -> None:
    """Every service answers /readyz (subscribers started, NATS and its database reached), none has exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for name, pid in services.pids.items():
            if not _alive(pid):
                log = services.home / "logs" / f"{name}.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"service {name} exited during start; log tail:\n{tail}")
        waiting = [name for name in services.pids
                   if name in services.metrics_ports and not _ready(f"{services.metrics_url(name)}/readyz")]
        if not waiting and _ready(f"{services.ingest_url}/readyz"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"services not ready within {timeout_s:.0f} s: {', '.join(waiting) or 'ingest'}")


def kill(services: ServiceSet, service: str, *, sig: int = signal.SIGKILL) -> None:
    pid = services.pids.get(service)
    if pid and _alive(pid):
        os.kill(pid, sig)
        deadline = time.monotonic() + 15
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


def stop_all(services: ServiceSet) -> None:
    for service in services.pids:
        kill(services, service, sig=signal.SIGTERM)
    for service in services.pids:
        kill(services, service, sig=signal.SIGKILL)
    services.pids = {}
    services.save()
