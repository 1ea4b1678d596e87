"""Sign-in across replicas: two ingest processes behind a round-robin proxy share sessions, sign-outs, password
changes and the limits on failed sign-ins (all kept in Postgres, the cookie signed with the stack's secret)."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from belegflow_ops import processes, stack
from tests.conftest import SERVICE_ENV, add_user, basic

pytestmark = pytest.mark.e2e
PASSWORD = "a long enough secret 7"
FREE_PER_USER, FREE_PER_ADDRESS, MAX_LOCK_S = 3, 12, 6
REPLICA_ENV = {**SERVICE_ENV, "BELEGFLOW_LOCKOUT_FREE_FAILURES": str(FREE_PER_USER),
               "BELEGFLOW_LOCKOUT_FREE_FAILURES_ADDRESS": str(FREE_PER_ADDRESS),
               "BELEGFLOW_LOCKOUT_MAX_S": str(MAX_LOCK_S)}


@dataclass
class RoundRobin:
    """A TCP proxy: each new connection goes to the next backend in turn (no affinity of any kind)."""

    ports: list[int]
    port: int = 0
    picked: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._turn = itertools.count()
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        assert ready.wait(10), "the proxy did not start"

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        which = next(self._turn) % len(self.ports)
        self.picked.append(which)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.ports[which])
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)


@dataclass
class Replicas:
    sets: list[processes.ServiceSet]
    proxy: RoundRobin

    @property
    def urls(self) -> list[str]:
        return [s.ingest_url for s in self.sets]


@pytest.fixture(scope="module")
def replicas(stack_state: stack.StackState, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    """Two ingest processes started by the launcher against the shared stack, and a round-robin proxy."""
    sets = []
    for n in (1, 2):
        home = tmp_path_factory.mktemp(f"ingest-replica-{n}")
        (home / "inbox").mkdir()
        sets.append(processes.ServiceSet(home=home, ingest_port=stack.free_port(), export_dir=home,
                                         inbox_dir=home / "inbox", api_key=stack_state.bootstrap_api_key))
    try:
        for one in sets:
            processes.start_one(stack_state, one, "ingest", extra_env=REPLICA_ENV)
        for one in sets:
            processes.wait_ready(one)
        proxy = RoundRobin([s.ingest_port for s in sets])
        yield Replicas(sets=sets, proxy=proxy)
        proxy.stop()
    finally:
        for one in sets:
            processes.stop_all(one)


def _cookie(response: httpx.Response) -> dict[str, str]:
    value = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    return {"Cookie": f"belegflow_session={value}"}


def sign_in(url: str, name: str, password: str, *, client: httpx.Client | None = None) -> httpx.Response:
    """POST the sign-in form (a fresh connection each time, so the proxy turns to the next replica)."""
    return (client or httpx).post(f"{url}/desk/login", data={"username": name, "password": password},
                                  headers={"Connection": "close"}, timeout=30)


def desk(url: str, cookie: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{url}/desk", headers={**cookie, "Connection": "close"}, timeout=30)


def signed_in(response: httpx.Response, name: str) -> bool:
    return response.status_code == 200 and name in response.text


def passwd(state: stack.StackState, name: str, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "belegflow_ops", "users", "passwd", name], input=f"{password}\n",
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "BELEGFLOW_HOME": state.home})


def from_address(address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any 127.x.y.z reaches ingest on 127.0.0.1)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30,
                        headers={"Connection": "close"})


def own_address() -> str:
    """A loopback address of this test alone, so its failures count on no other test's address."""
    raw = uuid.uuid4().bytes
    return f"127.{raw[0] or 1}.{raw[1]}.{raw[2] or 1}"


def test_a_session_holds_on_every_replica_and_sign_out_ends_it_on_every_one(
    replicas: Replicas, stack_state: stack.StackState, tenant: str
) -> None:
    name = f"rosa-{tenant}"
    add_user(stack_state, name, PASSWORD, roles=["clerk"], tenants=[tenant])
    # WHEN the clerk signs in through the proxy
    before = len(replicas.proxy.picked)
    answer = sign_in(replicas.proxy.url, name, PASSWORD)
    assert answer.status_code == 303, answer.text
    cookie = _cookie(answer)
    # THEN the next requests, which go to the other replica and back, are signed in
    pages = [desk(replicas.proxy.url, cookie) for _ in range(3)]
    assert all(signed_in(page, name) for page in pages), [p.status_code for p in pages]
    assert set(replicas.proxy.picked[before:]) == {0, 1}
    # WHEN the clerk signs out (through whichever replica comes next)
    found = re.search(r'name="csrf" value="([^"]+)"', pages[-1].text)
    assert found is not None
    out = httpx.post(f"{replicas.proxy.url}/desk/logout", data={"csrf": found.group(1)},
                     headers={**cookie, "Connection": "close"}, timeout=30)
    assert out.status_code == 303
    # THEN the old cookie opens the page on neither replica, through the proxy or directly
    for url in [*replicas.urls, replicas.proxy.url, replicas.proxy.url]:
        again = desk(url, cookie)
        assert again.status_code == 303, url
        assert again.headers["location"] == "/desk/login"


def test_a_password_change_ends_every_session_of_the_user(
    replicas: Replicas, stack_state: stack.StackState, tenant: str
) -> None:
    name, other = f"sven-{tenant}", f"tina-{tenant}"
    add_user(stack_state, name, PASSWORD, roles=["clerk"], tenants=[tenant])
    add_user(stack_state, other, PASSWORD, roles=["clerk"], tenants=[tenant])
    # GIVEN two sessions of the user (one per replica) and one of another user
    first, second = (_cookie(sign_in(url, name, PASSWORD)) for url in replicas.urls)
    bystander = _cookie(sign_in(replicas.urls[0], other, PASSWORD))
    assert all(signed_in(desk(url, c), name) for url in replicas.urls for c in (first, second))
    # WHEN an operator changes the password
    changed = passwd(stack_state, name, "a brand new secret 8")
    assert changed.returncode == 0, changed.stderr
    # THEN both sessions end on both replicas, and the old password opens nothing
    with from_address(own_address()) as client:
        for url in replicas.urls:
            for cookie in (first, second):
                assert desk(url, cookie).headers.get("location") == "/desk/login", url
            assert client.get(f"{url}/v1/documents", headers=basic(name, PASSWORD)).status_code == 401
    # AND the new password signs in; the other user's session goes on
    assert signed_in(desk(replicas.urls[1], _cookie(sign_in(replicas.urls[0], name, "a brand new secret 8"))), name)
    assert signed_in(desk(replicas.urls[1], bystander), other)
    # AND a user that does not exist is said so
    assert passwd(stack_state, f"nobody-{tenant}", "a brand new secret 8").returncode == 1


def fail_until_locked_for_longest(attempt: Callable[[int], httpx.Response]) -> tuple[list[int], list[int]]:
    """Fail again each time a lock ends, until a failure locks for the longest time; every answer's status, and the
    Retry-After of each 429."""
    codes: list[int] = []
    waits: list[int] = []
    for n in range(40):
        answer = attempt(n)
        codes.append(answer.status_code)
        if answer.status_code == 429:
            waits.append(int(answer.headers["retry-after"]))
            if waits[-1] >= MAX_LOCK_S:
                return codes, waits
            time.sleep(waits[-1] + 0.05)
    raise AssertionError(f"never locked for {MAX_LOCK_S} s: {codes}")


def test_wrong_passwords_are_limited_across_replicas_and_the_lock_ends(
    replicas: Replicas, stack_state: stack.StackState, tenant: str
) -> None:
    name = f"uwe-{tenant}"
    add_user(stack_state, name, PASSWORD, roles=["clerk"], tenants=[tenant])
    attacker, user = from_address(own_address()), from_address(own_address())

    def guess(n: int) -> httpx.Response:
        url = replicas.urls[n % 2]  # both replicas in turn, the API and the review page alike
        if n % 3 == 2:
            return sign_in(url, name, f"guess {n} of many", client=attacker)
        return attacker.get(f"{url}/v1/documents", headers=basic(name, f"guess {n} of many"))

    with attacker, user:
        # WHEN someone keeps guessing the password
        codes, waits = fail_until_locked_for_longest(guess)
        # THEN the free failures are 401; then each lock is longer than the one before, up to the maximum
        assert codes[:FREE_PER_USER + 1] == [401] * (FREE_PER_USER + 1)
        assert waits == sorted(waits)
        assert waits[0] < waits[-1] == MAX_LOCK_S
        # AND while locked even the right password is refused (no guess is checked), on both replicas
        locked = attacker.get(f"{replicas.urls[0]}/v1/documents", headers=basic(name, PASSWORD))
        assert locked.status_code == 429, locked.text
        assert locked.json()["code"] == "too-many-attempts"
        assert 1 <= int(locked.headers["retry-after"]) <= MAX_LOCK_S
        page = sign_in(replicas.urls[1], name, PASSWORD, client=attacker)
        assert page.status_code == 429
        assert "Too many failed sign-ins" in page.text
        assert 1 <= int(page.headers["retry-after"]) <= MAX_LOCK_S
        # AND a header naming another address changes nothing (no trusted proxy is configured)
        spoofed = attacker.get(f"{replicas.urls[1]}/v1/documents",
                               headers={**basic(name, PASSWORD), "X-Forwarded-For": own_address()})
        assert spoofed.status_code == 429
        # AND the user, from their own address, is not locked out by it
        mine = user.get(f"{replicas.urls[1]}/v1/documents", headers=basic(name, PASSWORD))
        assert mine.status_code == 200, mine.text
        # AND the lock ends by itself (at most BELEGFLOW_LOCKOUT_MAX_S), and a success forgets the user's failures
        # (the address's own counter, below its limit here, only fades)
        time.sleep(MAX_LOCK_S + 0.5)
        assert attacker.get(f"{replicas.urls[0]}/v1/documents", headers=basic(name, PASSWORD)).status_code == 200
        for n in range(FREE_PER_USER):
            wrong = attacker.get(f"{replicas.urls[n % 2]}/v1/documents", headers=basic(name, "wrong again"))
            assert wrong.status_code == 401


def test_unknown_users_and_wrong_api_keys_are_limited_alike_and_per_address(
    replicas: Replicas, stack_state: stack.StackState, tenant: str
) -> None:
    key = subprocess.run([sys.executable, "-m", "belegflow_ops", "keys", "create", f"erp-{tenant}", "--role",
                          "integrator", "--tenant", tenant], capture_output=True, text=True, timeout=60, check=True,
                         env={**os.environ, "BELEGFLOW_HOME": stack_state.home}).stdout.strip()
    wrong_key = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    documents = [f"{url}/v1/documents" for url in replicas.urls]
    # WHEN a user name that does not exist is tried THEN it is locked like a real one (nobody learns who exists)
    with from_address(own_address()) as client:
        ghost = [client.get(documents[n % 2], headers=basic(f"ghost-{tenant}", "x" * 12)).status_code
                 for n in range(FREE_PER_USER + 3)]
    assert ghost[:FREE_PER_USER] == [401] * FREE_PER_USER
    assert 429 in ghost
    # AND a wrong secret of a real API key is counted per key and address the same way
    with from_address(own_address()) as client:
        keyed = [client.get(documents[n % 2], headers={"Authorization": f"Bearer {wrong_key}"}).status_code
                 for n in range(FREE_PER_USER + 3)]
    assert keyed[:FREE_PER_USER] == [401] * FREE_PER_USER
    assert 429 in keyed
    # AND one address trying many names is locked, whatever it sends next, even a good key
    with from_address(own_address()) as client:
        codes, _ = fail_until_locked_for_longest(
            lambda n: client.get(documents[n % 2], headers=basic(f"spray{n}-{tenant}", "x" * 12)))
        assert codes[:FREE_PER_ADDRESS] == [401] * FREE_PER_ADDRESS
        assert client.get(documents[0], headers={"Authorization": f"Bearer {key}"}).status_code == 429
    # AND the key works from anywhere else
    with from_address(own_address()) as elsewhere:
        assert elsewhere.get(documents[1], headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_the_launcher_gives_every_ingest_the_stacks_session_secret(stack_state: stack.StackState) -> None:
    env = stack_state.service_env("ingest")
    assert len(env["BELEGFLOW_SESSION_SECRET"]) >= 32
    assert env["BELEGFLOW_SESSION_SECRET"] == stack.load_state(Path(stack_state.home)).session_secret  # type: ignore[union-attr]
