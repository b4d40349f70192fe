"""Reading and normalising a large file in a second process while this one matches and writes
what came before: the two halves of an import then run on two cores. The second process is
forked, reads the file itself and sends back chunks of prepared rows, at most two ahead, so
memory stays bounded. On a platform without fork, in a daemonic process, or for a small file,
the rows are prepared here instead; the results are the same either way."""

import gc
import multiprocessing
import queue
from collections.abc import Callable, Iterator
from itertools import islice

AHEAD = 2  # chunks the reader may prepare before they are taken


class ReaderFailed(RuntimeError):
    """The reading process stopped without saying why (it was killed, for example)."""


class PreparedChunks:
    """Lists of prepare(line, cells) for every record, `size` at a time. With `parallel`, a
    second process starts reading at once; an exception raised there (a broken line, say)
    is raised here, in order. close() stops it."""

    def __init__(
        self,
        records: Callable[[], Iterator[tuple[int, list[str]]]],
        prepare: Callable[[int, list[str]], object],
        size: int,
        parallel: bool,
    ):
        self.reader = None
        if (
            not parallel
            or "fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon  # which may not have children
        ):
            self.chunks = _chunks(records, prepare, size)
            return
        context = multiprocessing.get_context("fork")
        self.results = context.Queue(maxsize=AHEAD)
        self.reader = context.Process(
            target=_read, args=(records, prepare, size, self.results), name="import-reader",
            daemon=True,
        )  # fmt: skip
        self.reader.start()
        self.chunks = self._received()

    def __iter__(self):
        return self.chunks

    def _received(self):
        while (item := _take(self.results, self.reader)) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.chunks.close()
        if self.reader is not None:
            if self.reader.is_alive():
                self.reader.terminate()
            self.reader.join()
            self.results.close()
            self.results.join_thread()
            self.reader = None


def _chunks(records, prepare, size):
    rows = records()
    while chunk := list(islice(rows, size)):
        yield [prepare(line, cells) for line, cells in chunk]


def _read(records, prepare, size, results) -> None:
    """The reading process: chunks, then None; or the exception that stopped it."""
    gc.disable()  # what it makes is freed chunk by chunk; there are no cycles to collect
    try:
        for chunk in _chunks(records, prepare, size):
            results.put(chunk)
        results.put(None)
    except Exception as exc:  # sent on to be raised where the import runs
        try:
            results.put(exc)
        except Exception:  # an exception that cannot be pickled
            results.put(ReaderFailed(f"{type(exc).__name__}: {exc}"))
    results.close()
    results.join_thread()


def _take(results, reader):
    while True:
        try:
            return results.get(timeout=1)
        except queue.Empty:
            if reader.is_alive():
                continue
        try:  # it may have sent its last chunk just before it ended
            return results.get(timeout=1)
        except queue.Empty:
            raise ReaderFailed(
                f"The process reading the file stopped (exit code {reader.exitcode})."
            ) from None
