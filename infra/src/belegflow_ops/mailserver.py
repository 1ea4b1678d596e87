"""A real IMAP server for tests and benchmarks: Debian's Dovecot, unprivileged, on a free port, users from a
passwd-file (the e-mail intake is tested against it; it is no part of the local stack)."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from belegflow_ops.stack import free_port

SYSTEM_USER = "belegflow-imap"

CONF = """# belegflow tests: one unprivileged Dovecot, plain IMAP on 127.0.0.1 only
base_dir = {home}/run
state_dir = {home}/state
log_path = {home}/dovecot.log
instance_name = belegflow-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {home}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={home}/mail/%u
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or (str(Path("/usr/sbin/dovecot")) if Path("/usr/sbin/dovecot").exists() else None)


def _run_as() -> tuple[str, str, dict[str, Any]]:
    """Dovecot's master refuses nothing as root, but we never run it so: root uses a system user of its own."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name, {}
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--user-group", SYSTEM_USER],  # noqa: S603, S607
                       check=True)
        entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name, {
        "user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


@dataclass
class Dovecot:
    home: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    users: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot is not installed (make install adds Debian's dovecot-imapd)")
        user, group, as_user = _run_as()
        self.port = free_port()
        for sub in ("run", "state", "mail"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        (self.home / "passwd").write_text("")
        conf = self.home / "dovecot.conf"
        conf.write_text(CONF.format(home=self.home, port=self.port, user=user, group=group))
        if as_user:
            for parent in [self.home, *self.home.parents]:
                parent.chmod(parent.stat().st_mode | 0o001)
            for path in [self.home, *self.home.rglob("*")]:
                os.chown(path, as_user["user"], as_user["group"])
        log = (self.home / "dovecot.out").open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - Debian's dovecot binary, our own config
            [binary, "-F", "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True, **as_user)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {(self.home / 'dovecot.out').read_text(errors='replace')}")
            try:
                imaplib.IMAP4("127.0.0.1", self.port, timeout=1).logout()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not listen on {self.port}")

    def add_user(self, name: str, password: str) -> None:
        self.users[name] = password
        (self.home / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self.users.items()))

    def client(self, user: str) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(user, self.users[user])
        return conn

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
