"""A full rebuild in several processes: each takes slices of rows, reads them from the database
and indexes them into a segment of its own, in memory; the parent adds every segment to the
new index at once.

Why: a single process spent ~7 minutes of CPU on 100k documents, most of it in Whoosh's
posting pool spilling sorted runs to disk (pickled one posting at a time) and merging them
back. A segment of SEARCH_REINDEX_SEGMENT_DOCS documents (default 10,000) is sorted in memory
with no run files (~1 GB of RAM per process at that size), and the processes share the CPUs.
The slices are (kind, id range) pairs, so each process also does its own share of the database
reads and of building the documents.
"""

import multiprocessing
import queue
import traceback
from collections.abc import Callable

from flask import current_app

from marketplace.extensions import db
from marketplace.search import storage, whoosh_private
from marketplace.search.schema import codec

# The in-memory posting pool of one segment may use this much (Whoosh's estimate) before it
# spills to disk; a segment of 10,000 documents stays well under it.
SEGMENT_POOL_MB = 2048


def in_processes(ix, procs: int, progress: Callable[[int], None] | None = None, *,
                 row_ranges: Callable, kind_docs: Callable, fields: Callable, position: int = 0) -> int:
    """Index every document into `ix` (a new, empty generation) with `procs` processes.

    The indexer hands over how to slice the rows, build a slice's documents and turn a document
    into index fields (indexer.row_ranges, kind_docs, fields): this module does not import it."""
    size = current_app.config.get("SEARCH_REINDEX_SEGMENT_DOCS", 10_000)
    ctx = multiprocessing.get_context("fork")  # children inherit the app and its settings
    todo, done = ctx.Queue(), ctx.Queue()
    for order, task in enumerate(row_ranges(size)):
        todo.put((order, task))
    workers = [ctx.Process(target=_work, args=(ix, todo, done, kind_docs, fields), daemon=True)
               for _ in range(procs)]
    for _ in workers:
        todo.put(None)
    for worker in workers:
        worker.start()
    try:
        segments, count = _collect(done, workers, progress)
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()
    writer = storage.writer(ix)  # the new generation is ours alone: its lock is free
    whoosh_private.set_log_position(writer, position)  # the change-log position it reflects
    whoosh_private.commit_segments(writer, segments)  # add the segments as they are
    return count


def _collect(done, workers: list, progress) -> tuple[list, int]:
    segments, count, finished = [], 0, 0
    while finished < len(workers):
        try:
            message, *rest = done.get(timeout=5)
        except queue.Empty:
            if not any(w.is_alive() for w in workers) and done.empty():
                raise RuntimeError("search rebuild: a worker died without a word") from None
            continue
        if message == "rows" and progress:
            progress(rest[0])
        elif message == "segment":
            segments.append((rest[2], rest[0]))
            count += rest[1]
        elif message == "failed":
            raise RuntimeError(f"search rebuild: a worker failed:\n{rest[0]}")
        elif message == "finished":
            finished += 1
    # In the order of the slices, whichever worker finished first: documents get the numbers a
    # single-process rebuild gives them, so ties in score rank alike.
    return [segment for _, segment in sorted(segments, key=lambda s: s[0])], count


def _work(ix, todo, done, kind_docs: Callable, fields: Callable) -> None:
    db.engine.dispose(close=False)  # never share the parent's database connections
    try:
        while (item := todo.get()) is not None:
            order, (name, first, last, _) = item
            writer = whoosh_private.segment_writer(ix, codec(), SEGMENT_POOL_MB)
            n = 0
            for doc in kind_docs(name, first, last, lambda k: done.put(("rows", k))):
                writer.add_document(**fields(doc))
                n += 1
            # Not _finish()/cancel(): they delete the temporary folder every writer shares;
            # the parent's commit removes it and any files of empty segments.
            if n:
                done.put(("segment", whoosh_private.finalize_segment(writer), n, order))
            else:
                whoosh_private.discard_segment(writer)
    except BaseException:
        done.put(("failed", traceback.format_exc()))
    finally:
        done.put(("finished",))
