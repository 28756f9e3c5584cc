"""``kernels/page_words.py`` (the block kernels' comparisons, four bytes at a time) gives
``lz4._same_key``'s and ``lz4._common_length``'s results: at chain candidates and random
earlier positions of zero, periodic, random and corpus pages and of short pages, from
every byte alignment, against caps that end mid-word and at the match end limit; and
its ``best_match`` gives ``lz4.best_match``'s on chains with many collisions and few,
plain and tagged, with windows that cut them.  Runs in the CUDA simulator (``-m sim``)."""

import numpy as np
import pytest
from numba import cuda, uint32  # at module level: the simulator swaps the global ``cuda``

from gpuacomp import device
from gpuacomp.kernels import lz4

pytestmark = [pytest.mark.sim, pytest.mark.skipif(
    device.gpu_unavailable_reason() is not None,
    reason="no GPU path; run with NUMBA_ENABLE_CUDASIM=1 for the simulator")]

CASES_PER_PAGE = 150


def run_words(page, cases):
    """Both helpers on ``page`` in a kernel's page buffer, for rows (i, j, length, cap,
    match_end_limit) of ``cases``: ``(same_key, common_length)`` per row."""
    from gpuacomp.kernels import page_words

    buffer_words = page_words.BUFFER_WORDS
    same_key, common_length = page_words.same_key, page_words.common_length

    @cuda.jit
    def kernel(page, n, cases, keys, lengths):
        src = cuda.shared.array(buffer_words, uint32).view(np.uint8)
        for x in range(n):
            src[x] = page[x]
        for c in range(cases.shape[0]):
            i, j = cases[c, 0], cases[c, 1]
            keys[c] = same_key(src, i, j)
            lengths[c] = common_length(src, i, j, cases[c, 2], cases[c, 3], cases[c, 4])

    keys = np.zeros(len(cases), np.int64)
    lengths = np.zeros(len(cases), np.int64)
    kernel[1, 1](page, len(page), cases, keys, lengths)
    return keys, lengths


def comparison_cases(page, rng):
    """Rows (i, j, length, cap, match_end_limit): each position's previous one with the
    same key (the long comparisons) and a random earlier one, at lengths 0 to 9."""
    n = len(page)
    limit = n - lz4.LAST_LITERALS
    positions = np.arange(1, n - lz4.MATCH_START_MARGIN)
    if len(positions) > CASES_PER_PAGE:
        positions = np.sort(rng.choice(positions, CASES_PER_PAGE, replace=False))
    last_seen = {}
    keys = [bytes(page[x:x + 4]) for x in range(max(n - 3, 0))]
    previous = np.full(n, -1)
    for x, key in enumerate(keys):
        previous[x] = last_seen.get(key, -1)
        last_seen[key] = x
    rows = []
    for i in positions:
        for j in (previous[i], rng.integers(0, i)):
            if j >= 0:
                cap = rng.choice([lz4.SELECT_CAP, 258, limit, rng.integers(4, 80)])
                rows.append((i, j, rng.integers(0, 10), cap, limit))
    return np.array(rows, np.int64).reshape(-1, 5)


def pages_to_check(corpus_page):
    rng = np.random.default_rng(7)
    ramp = np.arange(4096) // 64
    pages = [np.zeros(4096, np.uint8), np.full(4096, 0xA5, np.uint8),
             np.resize(np.frombuffer(b"abcdefg", np.uint8), 4096),
             np.resize(np.frombuffer(b"xyz", np.uint8), 4093),
             (ramp % 7).astype(np.uint8), rng.integers(0, 256, 4096, dtype=np.uint8),
             rng.integers(0, 3, 4095, dtype=np.uint8), np.zeros(13, np.uint8),
             rng.integers(0, 2, 100, dtype=np.uint8)]
    if corpus_page is not None:
        pages.append(corpus_page)
    return pages


def test_words_give_the_byte_results(corpus_page_or_none):
    rng = np.random.default_rng(11)
    for p, page in enumerate(pages_to_check(corpus_page_or_none)):
        cases = comparison_cases(page, rng)
        if len(cases) == 0:
            continue
        keys, lengths = run_words(page, cases)
        for c, (i, j, length, cap, limit) in enumerate(cases.tolist()):
            assert keys[c] == lz4._same_key(page, i, j), f"page {p}, key at {i} and {j}"
            expected = lz4._common_length(page, i, j, length, cap, limit)
            assert lengths[c] == expected, (
                f"page {p}: i={i} j={j} from {length}, cap {cap}, limit {limit}: "
                f"{lengths[c]} against {expected}")


def run_best_match(page, prev, cases, tag_shift=None):
    """``page_words.best_match`` (``build_best_match(tag_shift)``: over a tagged chain)
    for rows (i, limit, candidates, cap, window) of ``cases``: ``(length, offset)`` per
    row."""
    from gpuacomp.kernels import page_words

    buffer_words = page_words.BUFFER_WORDS
    best_match = page_words.build_best_match(tag_shift)

    @cuda.jit
    def kernel(page, n, prev, cases, found):
        src = cuda.shared.array(buffer_words, uint32).view(np.uint8)
        for x in range(n):
            src[x] = page[x]
        for c in range(cases.shape[0]):
            length, offset = best_match(src, cases[c, 0], prev, cases[c, 1], cases[c, 2],
                                        cases[c, 3], cases[c, 4])
            found[c, 0] = length
            found[c, 1] = offset

    found = np.zeros((len(cases), 2), np.int64)
    kernel[1, 1](page, len(page), prev, cases, found)
    return found


def hash_chain(page, bits):
    """Each key's previous position with the same ``bits``-bit hash (the kernels' hash
    has 12 or 13 bits; fewer make most links collisions), by the CPU backend's chain."""
    from gpuacomp.backends.cpu import link_positions

    prev = np.full(len(page), -1, np.int16)
    link_positions(page, len(page) - 3, np.full(1 << bits, -1, np.int32), bits, 0, prev)
    return prev


def test_best_match_finds_what_the_cpu_finds(corpus_page_or_none):
    from gpuacomp.kernels import page_words

    rng = np.random.default_rng(5)
    matched = 0
    for p, page in enumerate(pages_to_check(corpus_page_or_none)):
        n = len(page)
        if n <= lz4.MATCH_START_MARGIN + 1:
            continue
        positions = np.arange(1, n - lz4.MATCH_START_MARGIN)
        positions = rng.choice(positions, min(len(positions), CASES_PER_PAGE // 3),
                               replace=False)
        for bits in (6, 12):
            prev = hash_chain(page, bits)
            rows = [(i, n - lz4.LAST_LITERALS, rng.choice([1, 4, 16]),
                     rng.choice([lz4.SELECT_CAP, 258]), rng.choice([4096, 4096, 300, 17]))
                    for i in positions.tolist()]
            cases = np.array(rows, np.int64)
            # the chain as it is, and tagged with its links' keys
            found = run_best_match(page, prev, cases)
            tagged = page_words.tagged_chain(page, prev, bits).astype(np.uint16).view(np.int16)
            found_tagged = run_best_match(page, tagged, cases, page_words.tag_shift(bits))
            for c, (i, limit, candidates, cap, window) in enumerate(rows):
                expected = lz4.best_match(page, i, prev, limit, candidates, cap, window)
                for chain, result in (("", found[c]), ("tagged ", found_tagged[c])):
                    assert tuple(result) == expected, (
                        f"page {p}, {bits}-bit {chain}chain: best_match at {i} ({candidates}"
                        f" candidates, cap {cap}, window {window}): {tuple(result)} against "
                        f"{expected}")
                matched += expected[0] > 0
    assert matched  # (not only pages without matches)

