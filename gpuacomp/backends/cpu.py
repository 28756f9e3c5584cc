"""CPU backend: the codec of ``gpuacomp.kernels.lz4`` over a batch, on all cores.

Pages are independent, so a batch splits into contiguous chunks of pages, one per
``prange`` iteration; each chunk owns a hash table and a chain array, reused page after
page.  The bytes cannot depend on the split (every page is compressed alone).
"""

import types

import numba
import numpy as np
from numba import prange

from gpuacomp.backends import host_words
from gpuacomp.backends.numba_cache import njit
from gpuacomp.backends.parallel import PARALLEL_LOCK
from gpuacomp.backends.recycled import RecycledBuffer
from gpuacomp.inputs import check_count
from gpuacomp.kernels import lz4 as codec
from gpuacomp.kernels.retarget import compile_functions


def codec_compiler(called=(), cache=True):
    """How the CPU compiles a codec's functions (``compile_functions``' ``decorate``):
    inlined into their callers, since numba passes arrays to a called function with
    reference counting, which costs more than the work of a call per position; those
    named in ``called``, which run once a page or a block, are compiled once and
    called, which spares each caller's compile a copy of them."""
    inline = njit(cache=cache, nogil=True, inline="always")
    call = njit(cache=cache, nogil=True)
    return lambda func: (call if func.__name__ in called else inline)(func)


def _compile_codec():
    """The codec's functions for the CPU, comparing and copying bytes eight at a time
    where the host can (``host_words``; the same results)."""
    compile_inline = codec_compiler()
    words = host_words.FUNCTIONS
    if words is None:
        return compile_functions(codec, codec.CODEC_FUNCTIONS, compile_inline)
    names = tuple(name for name in codec.CODEC_FUNCTIONS if name not in host_words.REPLACED)
    return types.SimpleNamespace(**vars(words), **vars(compile_functions(
        codec, names, compile_inline, uses=words)))


lz4 = _compile_codec()
encode_page = lz4.encode_page
hash_chain = lz4.hash_chain
link_positions = lz4.link_positions
decode_block = lz4.decode_block

HASH_ENTRIES = 1 << codec.HASH_LOG
# Table entries are base + position; rebase before int32 overflows.
BASE_LIMIT = 2**31 - 2 * codec.MAX_PAGE_SIZE


@njit(cache=True, nogil=True, inline="always")
def link_page(src, page_size, count, head, base, prev):
    """Chain the first ``count`` positions of a page into ``head``, the table that a
    chunk's pages share (``lz4.link_positions``); returns the next page's base."""
    if base > BASE_LIMIT:
        head[:] = -1
        base = 0
    link_positions(src, count, head, codec.HASH_LOG, base, prev)
    return base + page_size


@njit(cache=True, nogil=True)
def _compress_range(pages, first, last, out, slot, lengths, max_candidates, lazy):
    page_size = pages.shape[1]
    head = np.full(HASH_ENTRIES, -1, np.int32)
    prev = np.empty(max(page_size, 1), np.int32)
    base = 0
    for p in range(first, last):
        src = pages[p]
        base = link_page(src, page_size, page_size - codec.MATCH_START_MARGIN, head, base,
                         prev)
        dst = out[p * slot:(p + 1) * slot]
        lengths[p] = encode_page(src, page_size, prev, dst, slot, max_candidates, lazy)


@njit(cache=True, nogil=True, parallel=True)
def _compress_parallel(pages, out, slot, lengths, max_candidates, lazy, chunks):
    n = pages.shape[0]
    for c in prange(chunks):
        _compress_range(pages, c * n // chunks, (c + 1) * n // chunks,
                        out, slot, lengths, max_candidates, lazy)


@njit(cache=True, nogil=True)
def _decompress_range(data, offsets, lengths, first, last, out, produced):
    cap = out.shape[1]
    for p in range(first, last):
        block = data[offsets[p]:offsets[p] + lengths[p]]
        produced[p] = decode_block(block, block.shape[0], out[p], cap)


@njit(cache=True, nogil=True, parallel=True)
def _decompress_parallel(data, offsets, lengths, out, produced, chunks):
    n = out.shape[0]
    for c in prange(chunks):
        _decompress_range(data, offsets, lengths, c * n // chunks, (c + 1) * n // chunks,
                          out, produced)


class CPUBackend:
    """Runs batches with numba on the host; ``threads=1`` is the sequential mode."""

    name = "cpu"

    def __init__(self, threads=None):
        available = numba.config.NUMBA_NUM_THREADS  # numba's thread pool
        self.threads = available if threads is None else check_count("threads", threads, 1,
                                                                     available)
        self._output = RecycledBuffer()

    def _chunks(self, n):
        # A few chunks per thread balance pages of uneven cost.  One thread runs the
        # same parallel loop (about 25% faster than calling the range function
        # directly, as numba compiles the loop body with its parfor optimisations).
        return min(n, 4 * self.threads if self.threads > 1 else 1)

    def compress(self, pages, slot, max_candidates, lazy=False):
        """Compress ``pages`` (n, page_size) into slots of ``slot`` bytes with the parse
        of ``max_candidates`` candidates (and its lazy step: ``lazy``).

        Returns ``(data, lengths)``; ``lengths[i] < 0`` is page i's negative errno.
        """
        n = pages.shape[0]
        data = self._output.empty(n * slot)
        lengths = np.empty(n, np.int32)
        if n == 0:
            return data, lengths
        with PARALLEL_LOCK:
            numba.set_num_threads(self.threads)
            _compress_parallel(pages, data, slot, lengths, max_candidates, bool(lazy),
                               self._chunks(n))
        return data, lengths

    def decompress(self, data, offsets, lengths, page_size):
        """Decode each block into a row of an (n, page_size) array.

        Returns ``(pages, produced)``; ``produced[i]`` is the decoded length or a
        negative errno.
        """
        n = len(lengths)
        out = np.empty((n, page_size), np.uint8)
        produced = np.empty(n, np.int64)
        if n == 0:
            return out, produced
        with PARALLEL_LOCK:
            numba.set_num_threads(self.threads)
            _decompress_parallel(data, offsets, lengths, out, produced, self._chunks(n))
        return out, produced
