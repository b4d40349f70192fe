"""Real servers for the tests: each runs as its own process on 127.0.0.1 and is stopped by PID."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


class ServerProcess:
    def __init__(
        self, args: list[str], port: int, env: dict | None = None, log: Path | None = None
    ):
        self.port = port
        self.log = log
        self._output = open(log, "wb") if log else None  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            args,
            env={**os.environ, **(env or {})},
            stdout=self._output or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, self.proc)
        except RuntimeError:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        if self._output is not None:
            self._output.close()
            self._output = None


def start_smtp_server(maildir: Path) -> ServerProcess:
    """aiosmtpd storing every message it accepts in a Maildir."""
    port = free_port()
    args = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
            "-c", "aiosmtpd.handlers.Mailbox", str(maildir)]  # fmt: skip
    return ServerProcess(args, port)


def start_app_server(env: dict, log: Path) -> ServerProcess:
    """The CRM itself, for browser journeys."""
    port = free_port()
    args = [sys.executable, "-m", "tests.live_app", str(port)]
    return ServerProcess(args, port, env=env, log=log)
