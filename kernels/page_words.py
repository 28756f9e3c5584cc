"""Byte comparisons four at a time on a page in shared memory, for the block kernels.

Phase 2 of the block-per-page kernels is ``lz4.best_match`` at every position: a key
test per chain link and a byte loop per candidate.  Compiled bytewise for sm_90
(``python -m bench.sass_blocks``), each byte compared costs two shared-memory loads and
23 instructions (64-bit index arithmetic, numba's wraparound of negative indices, three
loop conditions), and a key test that passes seven loads.  Here the page is read a
32-bit word at a time: a word at any byte offset is two aligned loads and a funnel
shift, and a comparison loads one new word per side a step, so four bytes cost two loads
and 17 instructions, and a key test two loads (the position's own key is loaded once).
The first differing byte comes from the lowest set bit of the two words' XOR (a word's
bytes are little-endian).

``same_key`` and ``common_length`` take ``lz4._same_key``'s and ``lz4._common_length``'s
places (``cuda_block`` compiles the search functions with these instead) and return the
same results.  They need the page in a uint32 array of ``BUFFER_WORDS`` viewed as bytes
(word-aligned), a word longer than the largest page: a comparison loads up to seven
bytes beyond the last one it counts, and ``word_at`` reads the word after ``x``'s.
"""

import numpy as np
from numba import cuda, uint32, uint64

from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE

# Words of a page buffer: the largest page, and one more for reads that run past it.
BUFFER_WORDS = GPU_MAX_PAGE_SIZE // 4 + 1


@cuda.jit(device=True)
def word_at(src, x):
    """The four bytes ``src[x:x + 4]`` as a little-endian word (``0 <= x`` and
    ``x + 4 <= len(src)``; ``src`` a view of a word-aligned buffer)."""
    words = src.view(np.uint32)
    # Unsigned indices: numba wraps negative ones around, at a few instructions a load.
    x = uint32(x)
    w = x >> uint32(2)
    pair = (uint64(words[w + uint32(1)]) << uint64(32)) | uint64(words[w])
    return uint32(pair >> ((x & uint32(3)) << uint32(3)))


@cuda.jit(device=True)
def same_key(src, i, j):
    return word_at(src, i) == word_at(src, j)


@cuda.jit(device=True)
def common_length(src, i, j, length, cap, match_end_limit):
    end = min(cap, match_end_limit - i)
    if length >= end:
        return length
    words = src.view(np.uint32)
    x, y = uint32(i + length), uint32(j + length)
    w, v = x >> uint32(2), y >> uint32(2)
    x_shift, y_shift = (x & uint32(3)) << uint32(3), (y & uint32(3)) << uint32(3)
    # Each step loads the next aligned word of each side; its first is the last step's.
    x_low, y_low = words[w], words[v]
    while True:
        w += uint32(1)
        v += uint32(1)
        x_high, y_high = words[w], words[v]
        difference = (uint32(((uint64(x_high) << uint64(32)) | uint64(x_low)) >> x_shift)
                      ^ uint32(((uint64(y_high) << uint64(32)) | uint64(y_low)) >> y_shift))
        if difference != 0:
            # The lowest set bit is in the first differing byte.
            return min(length + (cuda.clz(cuda.brev(difference)) >> 3), end)
        length += 4
        if length >= end:
            return end
        x_low, y_low = x_high, y_high
