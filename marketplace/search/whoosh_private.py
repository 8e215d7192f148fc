"""Every private Whoosh name this package uses, in one place.

whoosh-reloaded is no longer maintained upstream, and the speed of search/ comes from reading
its segments below its public API (posting blocks as numpy arrays, the field-length column,
segments added to a generation at once). Each such use is a function or class here, and
PRIVATE_NAMES lists every private name they touch, as (owner, name): tests/search/
test_whoosh_private.py checks each one against the installed Whoosh, so an upgrade names
exactly what broke. No other module of the package may use a private Whoosh name.

The codec: Whoosh's W3 codec with posting blocks stored as raw arrays.
Whoosh's W3 codec with posting blocks stored as raw arrays.

W3 pickles each block as tuples: one Python int per document number, one float per weight and
one bytes object per posting's positions, so reading a common word's 50,000 postings meant
creating ~150,000 objects (0.2-0.5 µs a posting at 100k documents). Here a block holds a few
byte strings — document numbers as uint32, weights as float32, and all positions in one string
with a uint32 length per posting — that numpy reads without copying (search/ranking.py), while
Whoosh's own matchers still get their tuples. Block statistics, skipping and the term dictionary
are W3's.
"""

from array import array

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3LeafMatcher, W3PostingsWriter
from whoosh.codec.whoosh3 import _lenfield as _whoosh_lenfield
from whoosh.matching import ListMatcher
from whoosh.util.numeric import _length_byte_cache as _whoosh_length_byte_cache
from whoosh.writing import SegmentWriter

PRIVATE_NAMES: tuple[tuple[str, str], ...] = (
    # the codec (below): settings it passes on, the block hooks it overrides, state they use
    ("whoosh.codec.whoosh3.W3Codec", "_blocklimit"),
    ("whoosh.codec.whoosh3.W3Codec", "_compression"),
    ("whoosh.codec.whoosh3.W3Codec", "_inlinelimit"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_mini_ids"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_mini_weights"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_mini_values"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_byteids"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_ids"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_format"),
    ("whoosh.codec.whoosh3.W3PostingsWriter", "_values"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_read_ids"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_read_weights"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_read_values"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_read_data"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_next_block"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_data"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_byteids"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_ids"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_weights"),
    ("whoosh.codec.whoosh3.W3LeafMatcher", "_values"),
    # field lengths (ranking's BM25): the per-document length column and its byte encoding
    ("whoosh.codec.whoosh3", "_lenfield"),
    ("whoosh.util.numeric", "_length_byte_cache"),
    ("whoosh.codec.whoosh3.W3PerDocReader", "_cached_reader"),
    ("whoosh.columns.NumericColumn.Reader", "_count"),
    ("whoosh.columns.NumericColumn.Reader", "_dbfile"),
    ("whoosh.columns.NumericColumn.Reader", "_basepos"),
    ("whoosh.reading.SegmentReader", "_perdoc"),
    ("whoosh.reading.SegmentReader", "_terms"),
    ("whoosh.reading.SegmentReader", "_gen"),
    # segments: the list of a generation, writers that add ready-made segments
    ("whoosh.index.FileIndex", "_segments"),
    ("whoosh.writing.SegmentWriter", "_lk"),
    ("whoosh.writing.SegmentWriter", "_close_segment"),
    ("whoosh.writing.SegmentWriter", "_commit_toc"),
    ("whoosh.writing.SegmentWriter", "_finish"),
    ("whoosh.writing.SegmentWriter", "_finalize_segment"),
)

LENGTH_BYTE_CACHE = _whoosh_length_byte_cache  # byte -> field length, as Whoosh decodes it


# --- segments and readers ------------------------------------------------------------------

def segments(ix) -> list:
    """The segments of the index's latest generation."""
    return ix._segments()


def set_reader_generation(reader, generation: int) -> None:
    """A reused reader still carries its old generation; give it the index's."""
    reader._gen = generation


def length_bytes(reader, fieldname: str) -> bytes | None:
    """One segment's field-length column as raw bytes (one byte a document), or None."""
    column = reader._perdoc._cached_reader(_whoosh_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None or not column._count:
        return None
    return column._dbfile.get(column._basepos, column._count)


def term_info(reader, fieldname: str, btext: bytes):
    return reader._terms.term_info(fieldname, btext)


def term_blocks(reader, fieldname: str, btext: bytes):
    """A (non-inlined) term's posting blocks as the codec stores them: (ids, weights, values)."""
    m = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    while m.is_active():
        if m._data is None:
            m._read_data()
        yield m._data
        m._next_block()


# --- the change-log position a generation has applied ---------------------------------------
# Kept as an attribute of the schema that every commit pickles into the generation's TOC file,
# which Whoosh writes to a temporary file and renames: the position is written atomically with
# the documents it describes. A writer copies the schema of the generation it starts from, so
# a commit that does not set it (upsert, optimize) keeps the previous value.

POSITION_ATTR = "marketplace_log_position"


def log_position(ix) -> int:
    return int(getattr(ix.schema, POSITION_ATTR, 0))


def set_log_position(writer, position: int) -> None:
    setattr(writer.schema, POSITION_ATTR, int(position))


# --- writing segments made elsewhere (search/rebuild.py) -------------------------------------

def segment_writer(ix, codec, limitmb: int) -> SegmentWriter:
    """A writer of one segment that takes no index lock (the generation is the caller's)."""
    return SegmentWriter(ix, _lk=False, codec=codec, limitmb=limitmb)


def finalize_segment(writer):
    """The writer's segment, written out, without the commit that would delete the temporary
    folder every writer shares."""
    return writer._finalize_segment()


def discard_segment(writer) -> None:
    writer._close_segment()


def commit_segments(writer, segments: list) -> None:
    """Commit ready-made segments as the generation's whole TOC (as Whoosh's
    MpWriter(multisegment=True) does)."""
    writer._close_segment()
    writer._commit_toc(segments)
    writer._finish()


# --- the codec ------------------------------------------------------------------------------

class Codec(W3Codec):
    def postings_writer(self, dbfile, byteids=False):
        return PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                              compression=self._compression, inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():  # a single posting kept in the term dictionary
            ids, weights, values = terminfo.inlined_postings()
            return ListMatcher(ids, weights, values, format_, scorer=scorer, term=term,
                               terminfo=terminfo)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class PostingsWriter(W3PostingsWriter):
    def _mini_ids(self):
        return super()._mini_ids() if self._byteids else array("I", self._ids).tobytes()

    def _mini_weights(self):
        weights = super()._mini_weights()
        return array("f", weights).tobytes() if isinstance(weights, tuple) else weights

    def _mini_values(self):
        if self._format.fixed_value_size() is not None and self._format.fixed_value_size() >= 0:
            return super()._mini_values()
        return array("I", map(len, self._values)).tobytes(), b"".join(self._values)


class LeafMatcher(W3LeafMatcher):
    def _read_ids(self):
        if self._byteids:
            return super()._read_ids()
        if self._data is None:
            self._read_data()
        self._ids = array("I", self._data[0])

    def _read_weights(self):
        if self._data is None:
            self._read_data()
        if isinstance(self._data[1], bytes):
            self._weights = array("f", self._data[1])
        else:
            super()._read_weights()

    def _read_values(self):
        if self._data is None:
            self._read_data()
        if not isinstance(self._data[2], tuple):
            return super()._read_values()
        lengths, blob = self._data[2]
        values, start = [], 0
        for n in array("I", lengths):
            values.append(blob[start:start + n])
            start += n
        self._values = tuple(values)
