"""CPU backend of the IAA-compatible deflate drivers: the encoder of
``gpuacomp.kernels.deflate_encode`` over a batch on all cores, the shared raw DEFLATE
decoder to decompress.  Chunks of pages as in ``backends.cpu`` (a hash table and the
workspace per chunk, reused page after page); the bytes cannot depend on the split.
"""

import numba
import numpy as np
from numba import prange

from gpuacomp.backends.cpu import HASH_ENTRIES, CPUBackend, codec_compiler, link_page, lz4
from gpuacomp.backends.inflate import inflate_batch
from gpuacomp.backends.numba_cache import njit
from gpuacomp.backends.parallel import PARALLEL_LOCK
from gpuacomp.kernels import deflate_encode as codec
from gpuacomp.kernels.retarget import compile_functions

_encoder = compile_functions(codec, codec.CODEC_FUNCTIONS,
                             codec_compiler(called=codec.BLOCK_SETUP), uses=lz4)
encode_page = _encoder.encode_page


@njit(cache=True, nogil=True, inline="always")
def encoder_workspace(page_size):
    """``(head, prev, records, tables, writer)``: what ``encode_page`` and the chain
    need for pages of ``page_size`` bytes, reused page after page."""
    return (np.full(HASH_ENTRIES, -1, np.int32), np.empty(max(page_size, 1), np.int32),
            np.empty((3, page_size // codec.MIN_MATCH + 1), np.int32),
            np.zeros((codec.TABLE_ROWS, codec.TABLE_WIDTH), np.int32), np.zeros(3, np.int64))


@njit(cache=True, nogil=True)
def _compress_range(pages, first, last, out, slot, lengths, mode, max_candidates, lazy):
    page_size = pages.shape[1]
    head, prev, records, tables, writer = encoder_workspace(page_size)
    base = 0
    for p in range(first, last):
        src = pages[p]
        base = link_page(src, page_size, page_size - (codec.MIN_MATCH - 1), head, base, prev)
        dst = out[p * slot:(p + 1) * slot]
        lengths[p] = encode_page(src, page_size, prev, dst, slot, mode, max_candidates, lazy,
                                 records, tables, writer)


@njit(cache=True, nogil=True, parallel=True)
def _compress_parallel(pages, out, slot, lengths, mode, max_candidates, lazy, chunks):
    n = pages.shape[0]
    for c in prange(chunks):
        _compress_range(pages, c * n // chunks, (c + 1) * n // chunks, out, slot, lengths,
                        mode, max_candidates, lazy)


class DeflateCPUBackend(CPUBackend):
    """Batches of ``mode`` ("fixed" or "dynamic") deflate pages on the host; threads and
    chunks as ``CPUBackend``."""

    def __init__(self, mode, threads=None):
        super().__init__(threads)
        self.mode = codec.MODES[mode]

    def compress(self, pages, slot, max_candidates, lazy=False):
        """``(data, lengths)`` as ``CPUBackend.compress``."""
        n = pages.shape[0]
        data = self._output.empty(n * slot)
        lengths = np.empty(n, np.int32)
        if n:
            with PARALLEL_LOCK:
                numba.set_num_threads(self.threads)
                _compress_parallel(pages, data, slot, lengths, self.mode, max_candidates,
                                   bool(lazy), self._chunks(n))
        return data, lengths

    def decompress(self, data, offsets, lengths, page_size):
        """``(pages, produced)`` as ``CPUBackend.decompress``."""
        return inflate_batch(data, offsets, lengths, page_size, self._chunks(len(lengths)),
                             self.threads)
