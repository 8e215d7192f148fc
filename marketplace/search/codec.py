"""Whoosh's W3 codec with posting blocks stored as raw arrays.

W3 pickles each block as tuples: one Python int per document number, one float per weight and
one bytes object per posting's positions, so reading a common word's 50,000 postings meant
creating ~150,000 objects (0.2-0.5 µs a posting at 100k documents). Here a block holds a few
byte strings — document numbers as uint32, weights as float32, and all positions in one string
with a uint32 length per posting — that numpy reads without copying (search/ranking.py), while
Whoosh's own matchers still get their tuples. Block statistics, skipping and the term dictionary
are W3's.
"""

from array import array

from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher, W3PostingsWriter
from whoosh.matching import ListMatcher


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
