"""Keeping the index consistent with the database: outbox, drain, rebuild, check.

A flush that touches an indexed row appends a `search_outbox` row (the change log) in the same
transaction, so a rollback leaves nothing behind. After commit, this node's copy of the index is
brought up to date by whichever of its processes gets the indexer lock (flock, never waited on
by a request): it reloads each document changed after the position its index has applied, in
its own session, and writes one Whoosh commit without a merge that also records the new
position. Rows stay in the log for the other nodes (replicas.py prunes them).
"""

import atexit
import hashlib
import logging
import os
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from marketplace import policy
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.i18n import country_name_in, force_locale, m49_region, m49_subregions
from marketplace.knowledge.models import THEMES
from marketplace.search import documents, rebuild, replicas, storage, whoosh_private
from marketplace.search.models import SearchOutbox
from marketplace.search.schema import LABELS, STEMMED, TEXT, TITLE, WORK, label_terms, plain_words, prestem

log = logging.getLogger(__name__)
BATCH = 500
MAX_TEXT_CHARS = 20_000  # what is indexed (and stored for snippets) of a very long body
SUGGEST_KEY_CHARS = 100  # of a title, for "starts with" suggestions
MAX_SEGMENTS = 12  # past this many segments a drain also merges the small ones
RETRY_SECONDS = 30  # a background drain that failed tries again this often
# Column changes that never alter a document (a sign-in must not queue a reindex).
IGNORED_ATTRS = {"last_login_at", "updated_at", "password_hash", "session_token"}


# --- collecting changes in the transaction ----------------------------------------------


def _model_key(obj) -> type:
    return type(obj)


_KIND_BY_MODEL = {k.model: name for name, k in documents.KINDS.items()}


def _changed(obj) -> bool:
    state = inspect(obj)
    return any(
        attr.key not in IGNORED_ATTRS and attr.history.has_changes() for attr in state.attrs
    )


def _doc_ids(obj, deleted: bool) -> list[tuple[str, str]]:
    key = _model_key(obj)
    kind = _KIND_BY_MODEL.get(key) or _kind_for(key)
    out = [(f"{kind}:{obj.id}", "delete" if deleted else "upsert")] if kind else []
    related = documents.RELATED.get(key)
    return out + [(doc_id, "upsert") for doc_id in related(obj)] if related else out


def _kind_for(key: type) -> str | None:
    # KINDS may gain entries after import (other features append theirs).
    for name, kind in documents.KINDS.items():
        if kind.model is key:
            _KIND_BY_MODEL[key] = name
            return name
    return None


@event.listens_for(Session, "after_flush")
def _collect(session, flush_context) -> None:
    changes: dict = {}
    for obj in session.new:
        changes.update(_doc_ids(obj, deleted=False))
    for obj in session.dirty:
        if _changed(obj):
            changes.update(_doc_ids(obj, deleted=False))
    for obj in session.deleted:
        changes.update(_doc_ids(obj, deleted=True))
    if not changes:
        return
    now = utcnow()
    session.connection().execute(
        SearchOutbox.__table__.insert(),
        [{"doc_id": d, "op": op, "created_at": now} for d, op in changes.items()],
    )
    session.info["search_pending"] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer commit drains
        return
    if session.info.pop("search_pending", False) and has_app_context():
        schedule(current_app._get_current_object())  # type: ignore[attr-defined]


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop("search_pending", None)


# --- applying them ------------------------------------------------------------------------


def mode(app: Flask) -> str:
    """sync (drain inside the commit: tests, CLI), thread (background thread), or manual."""
    if app.config.get("SEARCH_DRAIN"):
        return app.config["SEARCH_DRAIN"]
    if app.config.get("SEARCH_SYNC"):
        return "sync"
    return "manual" if app.testing else "thread"


def schedule(app: Flask) -> None:
    how = mode(app)
    if how == "sync":
        drain(lock_timeout=app.config.get("SEARCH_LOCK_TIMEOUT", 10.0))
    elif how == "thread":
        _background(app).wake()


def request_rebuild(app: Flask) -> None:
    """The index is missing: rebuild in the background (thread mode), else leave it to the CLI."""
    if mode(app) == "thread":
        _background(app).wake()


class _Drainer:
    """One daemon thread per process that drains the outbox when woken."""

    def __init__(self, app: Flask):
        self.app = app
        self.event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="search-drainer", daemon=True)
        self.thread.start()
        # A short-lived process (a CLI command) may exit before the daemon thread gets to its
        # commits: apply what is left in the outbox on the way out.
        atexit.register(self.flush)

    def flush(self) -> None:
        try:
            with self.app.app_context():
                drain(lock_timeout=self.app.config.get("SEARCH_LOCK_TIMEOUT", 10.0))
        except Exception:
            log.exception("search: final drain failed; run `marketplace search drain`")

    def wake(self) -> None:
        self.event.set()

    def _run(self) -> None:
        failed = False
        while True:
            # After a failure, try again on the next commit or in RETRY_SECONDS, whichever first.
            self.event.wait(timeout=RETRY_SECONDS if failed else None)
            self.event.clear()
            try:
                with self.app.app_context():
                    drain(lock_timeout=0)
                failed = False
            except Exception:
                log.exception("search: draining the outbox failed; retrying in %ss", RETRY_SECONDS)
                failed = True


_drainers: dict[int, _Drainer] = {}
_drainers_lock = threading.Lock()


def _background(app: Flask) -> _Drainer:
    with _drainers_lock:
        if id(app) not in _drainers:
            _drainers[id(app)] = _Drainer(app)
        return _drainers[id(app)]


# Rows applied past a hole in the log that may still be committing (replicas.frontier), per
# generation directory: the index's position stays before the hole, these are not re-applied.
_beyond: dict[str, set[int]] = {}


def _done(ix) -> set[int]:
    return _beyond.setdefault(str(ix.storage.folder), set())


def applied_position() -> int:
    """The log position this node's index has applied (IndexUnavailable when there is none)."""
    return whoosh_private.log_position(storage.open_index())


def pending() -> int:
    """Log rows this node has not applied yet (up to BATCH); a missing index counts as behind."""
    try:
        ix = storage.open_index()
    except storage.IndexUnavailable:
        return BATCH
    done = _done(ix)
    with Session(db.engine) as s:
        ids = s.scalars(select(SearchOutbox.id).where(
            SearchOutbox.id > whoosh_private.log_position(ix)).order_by(SearchOutbox.id).limit(BATCH))
        return sum(1 for i in ids if i not in done)


def drain(lock_timeout: float = 0.0) -> int:
    """Apply outbox rows; return how many documents were written. Never blocks past the timeout.

    If another process holds the lock, it re-checks the outbox after releasing it, so rows
    committed while it worked are not stranded.
    """
    written = 0
    while True:
        with storage.indexer_lock(lock_timeout) as held:
            if not held:
                return written
            if not storage.is_available():
                written += _rebuild_locked()
            written += _drain_locked()
        if not pending():
            return written


def _drain_locked() -> int:
    """Apply the log after this index's position, in order; rebuild when the index is missing
    or behind the retention horizon. Records the node's position and heartbeat."""
    written = 0
    while True:
        try:
            ix = storage.open_index()
        except storage.IndexUnavailable:
            log.warning("search: index missing or unreadable; rebuilding from the database")
            written += _rebuild_locked()
            continue
        position = whoosh_private.log_position(ix)
        with Session(db.engine) as s:
            if position < replicas.horizon(s):
                log.warning("search: index at log position %s is behind the pruned log (%s); "
                            "rebuilding from the database", position, replicas.horizon(s))
                s.rollback()
                written += _rebuild_locked()
                continue
            rows = s.execute(
                select(SearchOutbox.id, SearchOutbox.doc_id, SearchOutbox.created_at)
                .where(SearchOutbox.id > position).order_by(SearchOutbox.id).limit(BATCH)
            ).all()
            done = _done(ix)
            todo = [r for r in rows if r.id not in done]
            new_position = replicas.frontier(position, rows, utcnow())
            if todo or new_position != position:
                written += _apply(s, ix, dict.fromkeys(r.doc_id for r in todo), new_position)
            s.rollback()
        done.update(r.id for r in rows if r.id > new_position)
        done.difference_update([i for i in done if i <= new_position])
        replicas.heartbeat(new_position)
        if not todo and new_position == position:  # caught up, or waiting on a young hole
            replicas.prune_now_and_then()
            return written


def _apply(s: Session, ix, doc_ids, position: int) -> int:
    docs = {doc_id: load(s, doc_id) for doc_id in doc_ids}
    # End the read transaction before the (possibly slow) Whoosh commit.
    s.rollback()
    writer = storage.writer(ix, timeout=5.0)
    whoosh_private.set_log_position(writer, position)
    try:
        for doc_id in (d for d, doc in docs.items() if doc is None):
            writer.delete_by_term("doc_id", doc_id)
            writer.delete_by_term("parent", doc_id)  # children the database cascaded away
        for doc in (doc for doc in docs.values() if doc is not None):
            writer.update_document(**fields(doc))
    except BaseException:
        writer.cancel()
        raise
    # A single-document commit must not merge segments; merge the small ones now and then.
    writer.commit(merge=len(whoosh_private.segments(ix)) >= MAX_SEGMENTS)
    return len(doc_ids)


def load(s: Session, doc_id: str) -> dict | None:
    kind_name, key = documents.split_id(doc_id)
    kind = documents.KINDS.get(kind_name)
    model = kind.model_class() if kind else None
    obj = s.get(model, key) if model else None
    return kind.build(obj) if obj is not None else None


# --- turning a document into index fields -------------------------------------------------

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Markdown's marks, not every such character: headings, quotes and list bullets at a line's
# start, emphasis stars, underscores at a word's edge (snake_case stays), code ticks, table bars.
# "<b>" or "a > b" in a summary stay text (escaped when shown).
_MD_MARKS = re.compile(r"^[ \t]*(?:#{1,6}|>[>\s]*|[-+*](?=\s)|\d+[.)](?=\s))|\*+|(?<!\w)_+|_+(?!\w)|`+|\|",
                       re.MULTILINE)


def plain(markdown: str) -> str:
    return re.sub(r"\s+", " ", _MD_MARKS.sub(" ", _MD_LINK.sub(r"\1", markdown or ""))).strip()


_theme_names: dict[str, dict[str, str]] = {}


def theme_names(language: str) -> dict[str, str]:
    """slug -> the theme's name in `language` (one of the site's languages), read once."""
    if language not in _theme_names:
        if not has_app_context():
            return {slug: str(label) for slug, label in THEMES.items()}
        with force_locale(language):
            _theme_names[language] = {slug: str(label) for slug, label in THEMES.items()}
    return _theme_names[language]


def labels(doc: dict, countries: list[str]) -> list[tuple[str, str]]:
    """(name, language) of the document's themes and countries in every site language, and of
    its tags in the document's language: what the `labels` field holds."""
    out = [(theme_names(lang).get(slug, slug), lang) for slug in doc["themes"] for lang in STEMMED]
    out += [(tag, doc["language"] or "") for tag in doc["tags"]]
    out += [(name, lang) for code in countries for lang in STEMMED
            if (name := country_name_in(code, lang))]
    return out


def fields(doc: dict) -> dict:
    countries = sorted({c.lower() for c in doc["countries"]})
    # Summaries and bodies are Markdown (a community's or a person's description): what is
    # indexed and shown in snippets is their plain text, never "**Kenya**".
    summary, body = plain(doc["summary"]), plain(doc["body"])
    text = " ".join((summary, body))
    names = labels(doc, countries)
    out = {
        "doc_id": doc["doc_id"], "kind": doc["kind"],
        "visibility": " ".join(policy.index_tokens(doc["visibility"])),
        "countries": " ".join(countries),
        "region": " ".join(sorted({r for c in countries if (r := m49_region(c))})),
        "themes": ",".join(doc["themes"]), "org_type": doc["org_type"],
        "language": (doc["language"] or "").lower(), "tags": ",".join(doc["tags"]),
        "author": doc["author"], "words": doc["title"], "parent": doc.get("parent", ""),
        "spell": " ".join((doc["title"], summary, *dict.fromkeys(n for n, _ in names),
                           doc.get("work", ""))),
        "title": doc["title"], "summary": summary,
        "passages": body[:MAX_TEXT_CHARS], "url": doc["url"], "endorsements": doc["endorsements"],
        TITLE: prestem(doc["title"], doc["language"]),
        TEXT: prestem(text[:MAX_TEXT_CHARS], doc["language"]),
        LABELS: label_terms(names),
        WORK: prestem(doc.get("work", "")[:MAX_TEXT_CHARS], doc["language"]),
    }
    if doc["kind"] != "post":  # a reply is titled by its thread: suggested as the thread
        out["title_start"] = " ".join(plain_words(doc["title"]))[:SUGGEST_KEY_CHARS]
    if doc["date"] is not None:
        out["date"] = doc["date"].replace(tzinfo=None)
    out["digest"] = digest(out)
    # The body as indexed, for passage snippets (searching.passage); compressed, as text of
    # this kind shrinks to about a third (docs/search.md "Snippets").
    out["passages"] = zlib.compress(out["passages"].encode("utf-8"), 6)
    return out


def digest(indexed: dict) -> str:
    """A fingerprint of everything a document was indexed with: `check` compares it with what
    the database says now, so any stale field shows, not only a stale title."""
    content = repr(sorted((k, v) for k, v in indexed.items() if k != "digest"))
    return hashlib.blake2b(content.encode(), digest_size=12).hexdigest()


# --- rebuild, check, optimize ---------------------------------------------------------------


def iter_docs(progress: Callable[[int], None] | None = None) -> Iterator[dict]:
    """Every document the database says should be in the index."""
    for name in documents.KINDS:
        yield from kind_docs(name, progress=progress)


def kind_docs(name: str, first: int = 0, last: int | None = None,
              progress: Callable[[int], None] | None = None) -> Iterator[dict]:
    """The documents of one kind whose row ids are in first..last (all by default)."""
    kind = documents.KINDS[name]
    model = kind.model_class()
    if model is None:
        return
    after = first - 1
    while True:
        with Session(db.engine) as s:
            stmt = select(model).where(model.id > after).order_by(model.id).limit(BATCH)
            if last is not None:
                stmt = stmt.where(model.id <= last)
            if kind.where:
                stmt = stmt.where(kind.where(model))
            objs = s.scalars(stmt.options(*kind.options(model))).all()
            if not objs:
                return
            for obj in objs:
                doc = kind.build(obj)
                if doc is not None:
                    yield doc
            after = objs[-1].id
            if progress:
                progress(len(objs))


def row_ranges(size: int) -> Iterator[tuple[str, int, int, int]]:
    """(kind, first id, last id, rows) slices of about `size` indexed rows, covering them all."""
    for name, kind in documents.KINDS.items():
        model = kind.model_class()
        if model is None:
            continue
        stmt = select(model.id).order_by(model.id)
        if kind.where:
            stmt = stmt.where(kind.where(model))
        with Session(db.engine) as s:
            ids = list(s.scalars(stmt))
        for i in range(0, len(ids), size):
            chunk = ids[i:i + size]
            yield name, chunk[0], chunk[-1], len(chunk)


def count_rows() -> int:
    total = 0
    with Session(db.engine) as s:
        for kind in documents.KINDS.values():
            model = kind.model_class()
            if model is not None:
                stmt = select(func.count()).select_from(model)
                total += s.scalar(stmt.where(kind.where(model)) if kind.where else stmt)
    return total


def reindex(progress: Callable[[int], None] | None = None, lock_timeout: float = 600.0) -> int:
    """Rebuild from the database into a new directory, swap it in, then apply the outbox."""
    with storage.indexer_lock(lock_timeout) as held:
        if not held:
            raise TimeoutError("another process holds the search indexer lock")
        n = _rebuild_locked(progress, parallel=True)
        _drain_locked()
    return n


def _rebuild_locked(progress: Callable[[int], None] | None = None, parallel: bool = False) -> int:
    """Rebuild into a new generation. `parallel` (reindex only) may fork worker processes; a
    rebuild started by the drainer thread never forks from a multi-threaded process. The new
    generation records the log position read before the database was (replicas.rebuild_position);
    the drain that follows applies the rows after it."""
    with Session(db.engine) as s:
        position = replicas.rebuild_position(s, utcnow())
    path, ix = storage.new_generation()
    config = current_app.config
    procs = (config.get("SEARCH_REINDEX_PROCS") or os.cpu_count() or 1) if parallel else 1
    if procs > 1 and count_rows() >= config.get("SEARCH_PARALLEL_REBUILD_MIN", 5_000):
        m49_subregions()  # country_converter's table (~1 s to load): once, before the fork
        n = rebuild.in_processes(ix, procs, progress, row_ranges=row_ranges, kind_docs=kind_docs,
                                 fields=fields, position=position)
    else:
        n = _rebuild_in_process(ix, progress, position)
    storage.make_live(path)
    replicas.heartbeat(position, rebuilt=True)
    return n


def _rebuild_in_process(ix, progress: Callable[[int], None] | None, position: int) -> int:
    writer = storage.writer(ix, limitmb=current_app.config.get("SEARCH_WRITER_MB", 128))
    whoosh_private.set_log_position(writer, position)
    n = 0
    try:
        for doc in iter_docs(progress):
            writer.add_document(**fields(doc))
            n += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit(optimize=True)
    return n


def wait_until_indexed(timeout: float = 30.0, rebuild: bool = True, every_node: bool = False) -> bool:
    """Block until every committed change is searchable (tests, CLI). False on timeout.
    A missing index is rebuilt first, unless `rebuild` is False (then it raises
    storage.IndexUnavailable). With `every_node`, also wait until every live node (registry
    heartbeat within SEARCH_NODE_LIVE_SECONDS) has applied the log as it stands now."""
    deadline = time.monotonic() + timeout
    if every_node:
        with Session(db.engine) as s:
            target = replicas.head(s)
        if not wait_until_indexed(timeout, rebuild):
            return False
        while True:
            with Session(db.engine) as s:
                if all(node.applied >= target for node in replicas.live_nodes(s)):
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
    while True:
        remaining = max(0.0, deadline - time.monotonic())
        with storage.indexer_lock(remaining) as held:
            if held:
                if not storage.is_available():
                    if not rebuild:
                        raise storage.IndexUnavailable(str(storage.root()))
                    _rebuild_locked()
                _drain_locked()
                if not pending():
                    return True
        if time.monotonic() >= deadline:
            return False


def check() -> dict[str, list[str]]:
    """Compare the index with the database: documents missing, extra, or out of date (any
    indexed field). Raises storage.IndexUnavailable when there is no index: it never rebuilds."""
    wait_until_indexed(rebuild=False)
    with storage.searcher() as s:
        actual = {f["doc_id"]: f.get("digest") for f in s.reader().all_stored_fields()}
    missing, stale, expected = [], [], set()
    for doc in iter_docs():
        expected.add(doc["doc_id"])
        if doc["doc_id"] not in actual:
            missing.append(doc["doc_id"])
        elif actual[doc["doc_id"]] != fields(doc)["digest"]:
            stale.append(doc["doc_id"])
    extra = sorted(set(actual) - expected)
    return {"missing": sorted(missing), "extra": extra, "stale": sorted(stale)}


def optimize() -> None:
    with storage.indexer_lock(600.0) as held:
        if not held:
            raise TimeoutError("another process holds the search indexer lock")
        storage.writer(storage.open_index(), timeout=5.0).commit(optimize=True)
