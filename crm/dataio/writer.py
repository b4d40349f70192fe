"""Writing an import chunk by chunk in a second thread, so that the next chunk is matched
while the database takes in the one before. One write is in flight at a time and they run in
order. The thread works in the caller's context (its application context and so its
database session); while a write is in flight only the thread touches that session."""

import contextvars
import logging
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("crm.dataio")


class ChunkWriter:
    def __init__(self, threaded: bool):
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="import-writer") if threaded else None
        self.in_flight: Future | None = None

    def submit(self, job, *args) -> None:
        """Run job(*args) after the writes before it; without a thread, run it now."""
        if self.pool is None:
            job(*args)
            return
        self.wait()
        self.in_flight = self.pool.submit(contextvars.copy_context().run, job, *args)

    def wait(self) -> None:
        """Until every write is done; the first failure is raised here."""
        if self.in_flight is not None:
            in_flight, self.in_flight = self.in_flight, None
            in_flight.result()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc is None:
                self.wait()
            elif self.in_flight is not None:
                try:
                    self.in_flight.result()  # the session must be free before it is cleaned up
                except Exception:
                    log.exception("an import write failed while the import was stopping")
        finally:
            if self.pool is not None:
                self.pool.shutdown()
