"""A device reaches central through NATS's WebSocket listener (what the `devices` Ingress routes)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def websocket_nats(tmp_path: Path) -> Iterator[int]:
    binary = shutil.which("nats-server") or str(Path(sys.executable).parent / "nats-server")
    port, ws_port = _free_port(), _free_port()
    conf = tmp_path / "nats.conf"
    conf.write_text(f'listen: "127.0.0.1:{port}"\nwebsocket {{\n  listen: "127.0.0.1:{ws_port}"\n  no_tls: true\n}}\n')
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", ws_port)) == 0:
                    break
            proc.poll()
            assert proc.returncode is None, "nats-server exited"
            time.sleep(0.05)
        yield ws_port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_the_nats_client_speaks_websocket(websocket_nats: int) -> None:
    nc = await nats.connect(f"ws://127.0.0.1:{websocket_nats}", connect_timeout=5, max_reconnect_attempts=0)
    try:
        sub = await nc.subscribe("edge.acme.kasse-01.ping")
        await nc.publish("edge.acme.kasse-01.ping", b"hello")
        msg = await asyncio.wait_for(sub.next_msg(timeout=5), 10)
        assert msg.data == b"hello"
    finally:
        await nc.close()
