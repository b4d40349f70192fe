"""A local SMTP server (aiosmtpd) that logs what it accepts, for the mailing benchmark and the
tests of refusals and crashes:

    python -m bench.smtp_sink PORT LOG [--maildir DIR] [--delay SECONDS] [--hold-at N]

Each accepted message adds a line "<recipient> <Message-ID> <envelope sender>" to LOG,
written before the 250 reply, so the log is what the server took responsibility for. Local
parts starting "gone" are refused for good at RCPT (550 5.1.1), "busy" once (451 4.2.1) and
"down" always (451). --delay: seconds of work on each message before it is taken (a client
that disappears meanwhile delivers nothing, as with a real server still writing its queue).
--hold-at N: the N-th message waits there (the file LOG.held says so) until its client
goes away: a test kills the sender at that moment."""

import argparse
import asyncio
import re
import signal
import threading
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Sink:
    def __init__(self, log: Path, maildir: Path | None, delay: float, hold_at: int | None):
        self.log = log.open("a", buffering=1)
        self.held = log.with_name(log.name + ".held")
        self.mailbox = None
        if maildir is not None:
            import mailbox

            self.mailbox = mailbox.Maildir(maildir, create=True)
        self.delay, self.hold_at = delay, hold_at
        self.tries = Counter()
        self.seen = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        self.tries[address] += 1
        if local.startswith("gone"):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if local.startswith("down") or (local.startswith("busy") and self.tries[address] == 1):
            return f"451 4.2.1 <{address}>: Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.hold_at and self.seen == self.hold_at:
            self.held.write_text("held\n")
            await asyncio.sleep(120)  # cancelled when the client goes away
        if self.delay:
            await asyncio.sleep(self.delay)
        found = MESSAGE_ID.search(envelope.original_content or b"")
        message_id = found.group(1).decode() if found else "-"
        for recipient in envelope.rcpt_tos:
            self.log.write(f"{recipient} {message_id} {envelope.mail_from}\n")
        if self.mailbox is not None:
            self.mailbox.add(self._with_envelope(envelope))
        return "250 2.0.0 Ok: queued"

    @staticmethod
    def _with_envelope(envelope) -> bytes:
        head = f"X-MailFrom: {envelope.mail_from}\r\nX-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
        return head.encode() + envelope.original_content


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("log", type=Path)
    parser.add_argument("--maildir", type=Path)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--hold-at", type=int)
    args = parser.parse_args(argv)
    sink = Sink(args.log, args.maildir, args.delay, args.hold_at)
    controller = Controller(sink, hostname="127.0.0.1", port=args.port,
                            server_kwargs={"data_size_limit": 10 * 1024 * 1024})  # fmt: skip
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
