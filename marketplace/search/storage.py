"""Where the index lives, how it is swapped, locked and read.

Layout: SEARCH_INDEX_DIR/CURRENT names the live generation directory (SEARCH_INDEX_DIR/gen-…).
A rebuild writes a new generation and replaces CURRENT with os.replace (atomic). The indexer
lock is a flock on SEARCH_INDEX_DIR + ".lock", outside the directory so that deleting the
index never frees a held lock.
"""

import atexit
import contextlib
import fcntl
import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from flask import current_app
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from marketplace.search.schema import ANALYSIS_VERSION, build_schema, codec, fingerprint

log = logging.getLogger(__name__)
POINTER = "CURRENT"


class IndexUnavailable(Exception):
    """The index is missing or unreadable; it must be rebuilt from the database."""


def root() -> Path:
    return Path(current_app.config["SEARCH_INDEX_DIR"])


def _current_dir(base: Path) -> Path | None:
    try:
        name = (base / POINTER).read_text().strip()
    except OSError:
        return None
    path = base / name
    return path if name and path.is_dir() else None


def open_index(base: Path | None = None):
    base = base or root()
    path = _current_dir(base)
    if path is None:
        raise IndexUnavailable(str(base))
    try:
        ix = FileStorage(str(path), supports_mmap=False).open_index()
    except Exception as err:  # whoosh raises many kinds of errors on a damaged index
        raise IndexUnavailable(f"{path}: {err}") from err
    _check_schema(path, ix.schema)
    return ix


ANALYSIS_FILE = "ANALYSIS"


_SCHEMA = fingerprint(build_schema())


def _check_schema(path: Path, schema) -> None:
    """An index built by an older version of this code must be rebuilt, not misread."""
    try:
        analysis = (path / ANALYSIS_FILE).read_text().strip()
    except OSError:
        analysis = None
    if fingerprint(schema) != _SCHEMA or analysis != str(ANALYSIS_VERSION):
        raise IndexUnavailable(f"{path}: built with another schema or analysis; rebuild it")


def writer(ix, procs: int = 1, **kwargs):
    """A writer with this package's codec; procs > 1 indexes in that many processes, each
    writing its own segment (no final merge)."""
    if procs > 1:
        return ix.writer(procs=procs, multisegment=True, codec=codec(), **kwargs)
    return ix.writer(codec=codec(), **kwargs)


def is_available() -> bool:
    try:
        open_index()
    except IndexUnavailable:
        return False
    return True


def new_generation(base: Path | None = None):
    """Create an empty index in a fresh directory (not yet live). Returns (path, index)."""
    base = base or root()
    base.mkdir(parents=True, exist_ok=True)
    path = base / f"gen-{time.time_ns()}"
    path.mkdir()
    (path / ANALYSIS_FILE).write_text(str(ANALYSIS_VERSION))
    return path, FileStorage(str(path), supports_mmap=False).create_index(build_schema())


def make_live(path: Path) -> None:
    """Atomically point CURRENT at `path`, then remove older generations."""
    base = path.parent
    tmp = base / f"{POINTER}.{os.getpid()}.tmp"
    tmp.write_text(path.name)
    os.replace(tmp, base / POINTER)
    for old in base.glob("gen-*"):
        if old != path:
            # Readers holding old segment files keep them open (no mmap); unlinking is safe.
            shutil.rmtree(old, ignore_errors=True)


# --- the single-indexer lock -------------------------------------------------------------


@contextlib.contextmanager
def indexer_lock(timeout: float):
    """Yield True if this process now holds the indexer lock (waiting up to `timeout` s)."""
    base = root()
    base.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{base}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.02)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --- long-lived searchers: a per-process pool, each lent to one thread at a time -----------
#
# Whoosh searchers are not thread-safe, and opening one costs far more than a query, so a
# request borrows one from the pool and gives it back. (A thread-local searcher leaks open
# files when a server starts a thread per request.) A borrowed searcher is reopened first if
# the index changed, reusing the readers of unchanged segments.

POOL_SIZE = 16
_pool: list[tuple[Path, Any]] = []
_pool_lock = threading.Lock()


@contextlib.contextmanager
def searcher():
    """Borrow a searcher over the live generation; IndexUnavailable if there is none."""
    path = _current_dir(root())
    if path is None:
        raise IndexUnavailable(str(root()))
    s = _borrow(path)
    try:
        yield s
    finally:
        _give_back(path, s)


def _borrow(path: Path):
    stale = []
    found = None
    with _pool_lock:
        while _pool and found is None:
            p, s = _pool.pop()
            if p == path:
                found = s
            else:
                stale.append(s)
    for s in stale:
        with contextlib.suppress(Exception):
            s.close()
    if found is None:
        return _open_searcher(path)
    try:
        return found if found.up_to_date() else _open_searcher(path, reuse=found)
    except Exception:
        log.warning("search: refreshing a searcher failed; reopening", exc_info=True)
        return _open_searcher(path)


@atexit.register
def close_pool() -> None:
    with _pool_lock:
        searchers = [s for _, s in _pool]
        _pool.clear()
    for s in searchers:
        with contextlib.suppress(Exception):
            s.close()


def _give_back(path: Path, s) -> None:
    with _pool_lock:
        if len(_pool) < POOL_SIZE:
            _pool.append((path, s))
            return
    with contextlib.suppress(Exception):
        s.close()


def _open_searcher(path: Path, reuse=None):
    """Open a searcher, reusing the old one's segment readers whose segment is unchanged.

    Whoosh's own Searcher.refresh() reuses readers by segment identity, so a segment that only
    gained deletions keeps its stale deletion set (deleted documents come back); here a reader
    is reused only when both the segment id and its deleted count are unchanged.
    """
    try:
        ix = FileStorage(str(path), supports_mmap=False).open_index()
        _check_schema(path, ix.schema)
        generation = ix.latest_generation()
        reusable = {}
        if reuse is not None:
            for reader, _ in reuse.reader().leaf_readers():
                seg = reader.segment()
                if seg is not None:
                    reusable[(seg.segment_id(), seg.deleted_count())] = reader
        readers = []
        for seg in ix._segments():
            reader = reusable.pop((seg.segment_id(), seg.deleted_count()), None)
            readers.append(reader or SegmentReader(ix.storage, ix.schema, seg, generation=generation))
    except Exception as err:
        raise IndexUnavailable(f"{path}: {err}") from err
    for reader in reusable.values():
        reader.close()
    if not readers:
        reader = EmptyReader(ix.schema)
    elif len(readers) == 1:
        reader = readers[0]
        reader._gen = generation  # a reused reader still carries its old generation
    else:
        reader = MultiReader(readers, generation=generation)
    return Searcher(reader, fromindex=ix)
