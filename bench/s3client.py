"""S3 client benchmark: CPU per request of boto3 (as ObjectStore configured it), boto3 lighter, and minio.

Starts the local stack's S3 server (SeaweedFS, as ``belegflow stack up`` does) in a temporary folder, then
puts and gets ``--count`` objects of ``--size`` bytes and reads as many missing keys with each client, the
clients taking turns round by round so a busy machine slows each alike. CPU is this process's (every thread):
what a service pays for its S3 calls; beside it, the S3 server's own CPU for the same requests (what the
machine pays again for each request, whichever client sends it).

    python -m bench.s3client --count 300 --size 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from belegflow_contracts.runtime.settings import ServiceSettings
from belegflow_contracts.runtime.storage import ObjectStore
from belegflow_ops import stack
from bench import breakdown

BUCKET = "bench-s3client"
OPS = ("put", "get", "get-missing")


@dataclass
class Tally:
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(OPS, 0.0))
    count: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPS, 0))
    server: dict[str, float] = field(default_factory=lambda: dict.fromkeys(OPS, 0.0))

    def add(self, op: str, cpu_s: float, n: int, *, server_s: float = 0.0) -> None:
        self.cpu[op] += cpu_s
        self.count[op] += n
        self.server[op] += server_s

    def ms(self, op: str) -> float:
        return self.cpu[op] / max(1, self.count[op]) * 1000

    def all_ms(self) -> float:
        return sum(self.cpu.values()) / max(1, sum(self.count.values())) * 1000


def _boto(url: str, access: str, secret: str, *, light: bool) -> Any:
    extra: dict[str, Any] = {"parameter_validation": False} if light else {}
    return boto3.client("s3", endpoint_url=url, aws_access_key_id=access, aws_secret_access_key=secret,
                        region_name="us-east-1",
                        config=Config(connect_timeout=5, read_timeout=30,
                                      retries={"max_attempts": 3, "mode": "standard"},
                                      s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                                      response_checksum_validation="when_required", **extra))


def boto_ops(client: Any) -> dict[str, Callable[[str, bytes], object]]:
    def missing(key: str, _: bytes) -> object:
        try:
            client.get_object(Bucket=BUCKET, Key=key + ".missing")
        except client.exceptions.NoSuchKey:
            return None
        raise AssertionError("found a missing key")

    return {"put": lambda key, data: client.put_object(Bucket=BUCKET, Key=key, Body=data,
                                                         ContentType="application/octet-stream"),
            "get": lambda key, _: client.get_object(Bucket=BUCKET, Key=key)["Body"].read(),
            "get-missing": missing}


def store_ops(store: ObjectStore) -> dict[str, Callable[[str, bytes], object]]:
    """ObjectStore itself, called as the services call it (each call a thread hop from the event loop)."""
    loop = asyncio.new_event_loop()

    async def get_missing(key: str) -> None:
        assert await store.get_bytes(BUCKET, key + ".missing") is None

    return {"put": lambda key, data: loop.run_until_complete(
                store.put(BUCKET, key, data, content_type="application/octet-stream")),
            "get": lambda key, _: loop.run_until_complete(store.get_bytes(BUCKET, key)),
            "get-missing": lambda key, _: loop.run_until_complete(get_missing(key))}


def minio_ops(url: str, access: str, secret: str) -> dict[str, Callable[[str, bytes], object]]:
    import io

    import urllib3
    from minio import Minio
    from minio.error import S3Error

    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=5, read=30), maxsize=10,
                               retries=urllib3.Retry(total=3, backoff_factor=0.2,
                                                     status_forcelist=[500, 502, 503, 504]))
    client = Minio(url.removeprefix("http://"), access_key=access, secret_key=secret, secure=False,
                   region="us-east-1", http_client=http)

    def get(key: str, _: bytes) -> bytes:
        response = client.get_object(BUCKET, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def missing(key: str, _: bytes) -> None:
        try:
            get(key + ".missing", b"")
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                return
            raise
        raise AssertionError("found a missing key")

    return {"put": lambda key, data: client.put_object(BUCKET, key, io.BytesIO(data), len(data),
                                                         content_type="application/octet-stream"),
            "get": get, "get-missing": missing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300, help="puts (and gets, and missing gets) per client")
    parser.add_argument("--size", type=int, default=100_000, help="bytes per object")
    parser.add_argument("--rounds", type=int, default=10, help="turns the clients take")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="belegflow-s3bench-") as tmp:
        state = stack.up(Path(tmp) / "stack")
        try:
            url, access, secret = state.s3_url, state.s3_access_key, state.s3_secret_key
            admin = _boto(url, access, secret, light=False)
            admin.create_bucket(Bucket=BUCKET)
            settings = ServiceSettings(nats_url=state.nats_url, s3_endpoint_url=url, s3_access_key_id=access,
                                       s3_secret_access_key=secret)
            clients = {
                "boto3 (as before)": boto_ops(_boto(url, access, secret, light=False)),
                "boto3, no parameter validation": boto_ops(_boto(url, access, secret, light=True)),
                "minio": minio_ops(url, access, secret),
                "ObjectStore (this checkout)": store_ops(ObjectStore.from_settings(settings)),
            }
            data = os.urandom(args.size)
            tallies = {name: Tally() for name in clients}
            for name, ops in clients.items():  # warm: connections, endpoint rules, first-call imports
                for op in OPS:
                    ops[op](f"warm/{name}", data)
            per_round = max(1, args.count // args.rounds)
            for r in range(args.rounds):
                order = list(clients) if r % 2 == 0 else list(reversed(clients))
                for name in order:
                    for op in OPS:
                        fn = clients[name][op]
                        server = breakdown.cpu_seconds(state.pids["s3"])
                        started = time.process_time()
                        for i in range(per_round):
                            fn(f"{name}/{r}/{i}", data)
                        tallies[name].add(op, time.process_time() - started, per_round,
                                          server_s=breakdown.cpu_seconds(state.pids["s3"]) - server)
            base = tallies["boto3 (as before)"].all_ms()
            print(f"{args.rounds * per_round} requests of each kind per client, objects of {args.size} bytes; "
                  "CPU ms per request (this process, all threads)")
            print(f"{'client':34}" + "".join(f"{op:>13}" for op in OPS) + f"{'all':>9}{'vs boto3':>10}")
            for name, tally in tallies.items():
                print(f"{name:34}" + "".join(f"{tally.ms(op):13.3f}" for op in OPS)
                      + f"{tally.all_ms():9.3f}{base / tally.all_ms():9.2f}x")
            print("\nthe S3 server's CPU ms per request (SeaweedFS, all its parts in one process), all clients")
            print(f"{'':34}" + "".join(f"{op:>13}" for op in OPS))
            server_ms = {op: sum(t.server[op] for t in tallies.values())
                         / max(1, sum(t.count[op] for t in tallies.values())) * 1000 for op in OPS}
            print(f"{'SeaweedFS':34}" + "".join(f"{server_ms[op]:13.3f}" for op in OPS))
        finally:
            stack.down(Path(tmp) / "stack")


if __name__ == "__main__":
    main()
