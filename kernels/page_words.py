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
``best_match`` ``lz4.best_match``'s; they return the same results.
``build_best_match(tag_shift(hash_bits))`` gives the same search over a chain whose
entries also carry a tag of their link's key (``cuda_block.build(tagged_links=True)``
links it; ``tagged_chain`` makes the same entries on the host).  They need the page
in a uint32 array of ``BUFFER_WORDS`` viewed as bytes (word-aligned), a word longer
than the largest page: a comparison loads up to seven bytes beyond the last one it
counts, and ``word_at`` reads the word after ``x``'s.
"""

import functools

import numpy as np
from numba import cuda, int32, uint32, uint64

from gpuacomp.kernels.bits import lowest_bit
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
            return min(length + (lowest_bit(difference) >> 3), end)
        length += 4
        if length >= end:
            return end
        x_low, y_low = x_high, y_high


# A chain whose entries carry a tag of their link's key (``build_best_match(tag_shift)``):
# an entry is the link plus one in its low 12 bits (0: none; pages of 4 KiB) and
# ``TAG_BITS`` bits of the link's key hash in its top bits, those just below the chain's
# own hash bits.  Links with the same chain hash but another tag are collisions, skipped
# without reading the page.
TAG_BITS = 4
LINK_BITS = 12
LINK_MASK = (1 << LINK_BITS) - 1
HASH_MULTIPLIER = 2654435761  # the chain's multiplicative hash (lz4.link_positions)


def tag_shift(hash_bits):
    """Where the tag of a chain of ``hash_bits``-bit hashes sits in the 32-bit product."""
    return 32 - hash_bits - TAG_BITS


def tagged_chain(page, links, hash_bits):
    """The tagged entries of a chain of plain ``links`` (-1: none) on ``page`` with
    ``hash_bits``-bit hashes, computed on the host (numpy): what the kernels' chain holds
    with ``tagged_links``."""
    padded = np.concatenate([page, np.zeros(3, np.uint8)]).astype(np.uint64)
    keys = padded[:-3] | padded[1:-2] << 8 | padded[2:-1] << 16 | padded[3:] << 24
    products = (keys * np.uint64(HASH_MULTIPLIER)) & np.uint64(0xFFFFFFFF)
    tags = ((products >> np.uint64(tag_shift(hash_bits))) & np.uint64((1 << TAG_BITS) - 1))
    links = np.asarray(links, np.int64)
    return np.where(links >= 0, (links + 1) | (tags[np.maximum(links, 0)].astype(np.int64)
                                                << LINK_BITS), 0)


@functools.lru_cache(maxsize=None)
def build_best_match(shift=None):
    """``best_match`` over a chain of plain links (``prev[x]``: a link, -1 for none) or,
    with ``shift``, of tagged entries whose tag is the product's bits from ``shift``.

    The walk holds a *state*: the link itself, or the entry that names the link and
    carries its tag."""
    tag_field = uint32(((1 << TAG_BITS) - 1) << LINK_BITS)

    if shift is None:
        @cuda.jit(device=True)
        def state_at(prev, x):
            return int32(prev[uint32(x)])

        @cuda.jit(device=True)
        def link_of(state):
            return state

        @cuda.jit(device=True)
        def wanted_tag(key):
            return uint32(0)

        @cuda.jit(device=True)
        def skip_collisions(src, prev, state, key, want, lowest):
            while state >= lowest and word_at(src, state) != key:
                state = int32(prev[uint32(state)])
            return state
    else:
        @cuda.jit(device=True)
        def state_at(prev, x):
            return uint32(prev.view(np.uint16)[uint32(x)])

        @cuda.jit(device=True)
        def link_of(state):
            return int32(state & uint32(LINK_MASK)) - int32(1)

        @cuda.jit(device=True)
        def wanted_tag(key):
            product = uint32((uint64(key) * uint64(HASH_MULTIPLIER)) & uint64(0xFFFFFFFF))
            return (product >> uint32(shift - LINK_BITS)) & tag_field

        @cuda.jit(device=True)
        def skip_collisions(src, prev, state, key, want, lowest):
            entries = prev.view(np.uint16)
            while True:
                # Another tag is a collision, known without reading the page.
                while link_of(state) >= lowest and state & tag_field != want:
                    state = uint32(entries[uint32(link_of(state))])
                if link_of(state) < lowest or word_at(src, link_of(state)) == key:
                    return state
                state = uint32(entries[uint32(link_of(state))])

    @cuda.jit(device=True)
    def best_match(src, i, prev, match_end_limit, max_candidates, cap, window):
        """``lz4.best_match``: the same candidates in the same order, the same lengths,
        the same choice.  Many links a GPU block follows are hash collisions (a 12-bit
        hash on a 4 KiB page): 4-8% of the links of a memory-corpus page, but 19-39% of
        what its warps pay for (``bench.lockstep``: a lane with a long run of them holds
        its warp), and all of an incompressible page's.  There ``lz4.best_match`` costs
        about 37 instructions a link (numba's 64-bit arithmetic, its wraparound of
        negative indices, the window and candidate tests on every link); here the walk
        over them is a loop of its own, a word compare and 13 instructions a link.
        (The same loop in ``lz4`` slows the CPU backend, whose chain has few collisions,
        by 2-8%.)  Over a tagged chain that loop reads the chain alone: one shared load
        a collision where the word compare takes three, for as many instructions; the
        tags of 89-97% of collisions differ (the corpus)."""
        key = word_at(src, i)
        want = wanted_tag(key)
        lowest = int32(max(0, i - window))  # chains run backwards: the first link below ends
        best_length = 0
        best_offset = 0
        found = 0
        state = state_at(prev, i)
        while found < max_candidates:
            state = skip_collisions(src, prev, state, key, want, lowest)
            j = link_of(state)
            if j < lowest:
                break
            state = state_at(prev, j)
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

    return best_match


best_match = build_best_match()
