"""Byte comparisons four at a time on a page in shared memory, and the match search built
on them, for the block kernels.

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
places (``cuda_block`` compiles the search functions with these instead), and
``best_match`` ``lz4.best_match``'s; they return the same results.  They need the page
in a uint32 array of ``BUFFER_WORDS`` viewed as bytes (word-aligned), a word longer
than the largest page: a comparison loads up to seven bytes beyond the last one it
counts, and ``word_at`` reads the word after ``x``'s.
"""

import numpy as np
from numba import cuda, int32, uint32, uint64

from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE, MIN_MATCH

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


@cuda.jit(device=True)
def best_match(src, i, prev, match_end_limit, max_candidates, cap, window):
    """``lz4.best_match``: the same candidates in the same order, the same lengths, the
    same choice.  Most links a GPU block follows are hash collisions (a 12-bit hash on
    a 4 KiB page), and there ``lz4.best_match`` costs about 37 instructions a link
    (numba's 64-bit arithmetic, its wraparound of negative indices, the window and
    candidate tests on every link); here the walk over them is a loop of its own in
    32-bit arithmetic, a word compare and 13 instructions a link.  (The same loop in
    ``lz4`` slows the CPU backend, whose chain has few collisions, by 2-8%.)"""
    key = word_at(src, i)
    lowest = int32(max(0, i - window))  # chains run backwards: the first link below ends
    best_length = 0
    best_offset = 0
    found = 0
    link = int32(prev[uint32(i)])
    while found < max_candidates:
        while link >= lowest and word_at(src, link) != key:
            link = int32(prev[uint32(link)])
        if link < lowest:
            break
        j = link
        link = int32(prev[uint32(j)])
        found += 1
        # Only a candidate that also matches at best_length can beat the best.
        if best_length > 0 and (i + best_length >= match_end_limit
                                or src[j + best_length] != src[i + best_length]):
            continue
        length = common_length(src, i, j, MIN_MATCH, cap, match_end_limit)
        if length > best_length:
            best_length = length
            best_offset = i - j
            if length == cap or i + length == match_end_limit:
                break  # capped, or nothing longer exists (an older tie would lose)
    return best_length, best_offset
