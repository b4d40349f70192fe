"""The benchmark's SMTP sink as a test server: refusals on cue, a log of what it took."""

import sys
from pathlib import Path

from tests.servers import ServerProcess, free_port


class Sink:
    def __init__(self, folder: Path, *options: str):
        self.log = folder / "accepted.log"
        self.log.touch()
        self.held = folder / "accepted.log.held"
        self.maildir = folder / "maildir"
        port = free_port()
        args = [sys.executable, "-m", "bench.smtp_sink", str(port), str(self.log),
                "--maildir", str(self.maildir), *options]  # fmt: skip
        self.server = ServerProcess(args, port, log=folder / "sink.out")
        self.port = port

    def accepted(self) -> list[str]:
        """The recipients of every message taken, in order (repeats included)."""
        return [line.split()[0] for line in self.log.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        self.server.stop()
