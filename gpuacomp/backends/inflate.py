"""Raw DEFLATE decoding on the CPU: ``kernels/deflate.py`` compiled with numba."""

import numpy as np
import numba
from numba import prange

from gpuacomp.backends.cpu import codec_compiler, lz4
from gpuacomp.backends.numba_cache import njit
from gpuacomp.backends.parallel import PARALLEL_LOCK
from gpuacomp.kernels import deflate as codec
from gpuacomp.kernels.retarget import compile_functions

# Every function inlined, even those that run once a block: on this 2-core VM calling
# the stored block's copy halved the decoder's speed, and calling the code builders
# cost it up to a third, though the first compile took 19 s instead of 45 then (24 s
# inlined since the fixed codes' tables are built once; bench/RESULTS.md).
# (The copies: the CPU's LZ4 decoder's.)
_inflate = compile_functions(codec, codec.CODEC_FUNCTIONS, codec_compiler(),
                             uses=lz4).inflate_page


@njit(cache=True, nogil=True, inline="always")
def decoder_workspace():
    """``inflate_page``'s workspace, reused stream after stream: ``(state, lengths,
    lcounts, loffsets, lsymbols, ltable, dcounts, dsymbols, dtable)``."""
    return (np.zeros(3, np.int64), np.zeros(codec.MAX_CODE_LENGTHS, np.int16),
            np.zeros(codec.MAX_BITS + 1, np.int16), np.zeros(codec.MAX_BITS + 1, np.int16),
            np.zeros(codec.MAX_LITLEN_CODES, np.int16), np.zeros(codec.FAST_ENTRIES, np.int16),
            np.zeros(codec.MAX_BITS + 1, np.int16), np.zeros(codec.MAX_DIST_CODES, np.int16),
            np.zeros(codec.FAST_ENTRIES, np.int16))


@njit(cache=True, nogil=True)
def _inflate_range(data, offsets, lengths, first, last, out, produced):
    # (unpacked: numba calls an inlined function with no *args)
    state, code_lengths, lcounts, offs, lsymbols, ltable, dcounts, dsymbols, dtable = \
        decoder_workspace()
    cap = out.shape[1]
    for p in range(first, last):
        block = data[offsets[p]:offsets[p] + lengths[p]]
        produced[p] = _inflate(block, block.shape[0], out[p], cap, codec.FIXED_TABLES, state,
                               code_lengths, lcounts, offs, lsymbols, ltable, dcounts,
                               dsymbols, dtable)


@njit(cache=True, nogil=True, parallel=True)
def _inflate_parallel(data, offsets, lengths, out, produced, chunks):
    n = out.shape[0]
    for c in prange(chunks):
        _inflate_range(data, offsets, lengths, c * n // chunks, (c + 1) * n // chunks, out,
                       produced)


def inflate_batch(data, offsets, lengths, page_size, chunks=8, threads=None):
    """Decode each raw DEFLATE stream into a row of (n, page_size): ``(pages, produced)``,
    ``produced[i]`` the length or a negative errno.  ``threads``: numba's (default all)."""
    n = len(lengths)
    out = np.zeros((n, page_size), np.uint8)
    produced = np.empty(n, np.int64)
    if n:
        with PARALLEL_LOCK:
            numba.set_num_threads(threads or numba.config.NUMBA_NUM_THREADS)
            _inflate_parallel(data, np.asarray(offsets, np.int64),
                              np.asarray(lengths, np.int64), out, produced, min(n, chunks))
    return out, produced


def inflate(block, capacity):
    """One stream (bytes-like): its bytes, or the negative errno."""
    data = np.frombuffer(bytes(block), np.uint8).copy() if len(block) else np.zeros(1, np.uint8)
    out = np.zeros((1, capacity), np.uint8)
    produced = np.empty(1, np.int64)
    # (not the parallel loop: one stream, and its errors, such as a bounds-checked
    # build's IndexError, come back as they are)
    _inflate_range(data, np.zeros(1, np.int64), np.array([len(block)], np.int64), 0, 1, out,
                   produced)
    code = int(produced[0])
    return out[0, :code].tobytes() if code >= 0 else code
