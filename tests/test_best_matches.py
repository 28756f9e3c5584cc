"""``segment_best_matches`` (the GPU's phase 2, a segment of positions per thread) gives
``best_match``'s result at every position: on every page of the memory corpus, on a
sample of all corpus pages, and on hypothesis pages, with LZ4's and IAA deflate's
parameters, for several segment sizes and candidate counts."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from bench.phase2_work import FORMATS, GPU_HASH_LOG, search


def check(pages, fmt, candidates=4, segment=16, hash_log=GPU_HASH_LOG):
    pages = np.asarray(pages, dtype=np.uint8)
    if pages.ndim == 1:
        pages = pages[None, :]
    expected = search(pages, fmt, candidates, 0, hash_log)
    found = search(pages, fmt, candidates, segment, hash_log)
    for name, want, got in zip(("length", "offset"), expected, found):
        differ = np.argwhere(want != got)
        assert not len(differ), (f"{fmt}: the {name} at page {differ[0][0]}, position "
                                 f"{differ[0][1]} is {got[tuple(differ[0])]}, not "
                                 f"{want[tuple(differ[0])]}")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_memory_page(corpus, memory_file, fmt):
    check(corpus.memory(memory_file), fmt)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("candidates,segment", [(1, 16), (4, 1), (4, 7), (4, 4096), (16, 64)])
def test_candidates_and_segments(corpus, fmt, candidates, segment):
    check(corpus.sample(corpus.all_pages, 300, seed=candidates + segment), fmt, candidates,
          segment)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_carried_offset_with_a_different_first_byte(fmt):
    # Position i + 1 matches j + 1 (a carried offset), and i's chain reaches j, whose key
    # differs from i's in the first byte only: j is no candidate.  A chain that links
    # every position (a 0-bit hash) makes the collision that 12 bits never make here.
    page = np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8)
    rest = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66]
    page[100:107] = [1, *rest]
    page[2000:2007] = [2, *rest]
    check(page, fmt, segment=4096, hash_log=0)


@st.composite
def edge_pages(draw):
    size = draw(st.sampled_from([0, 1, 4, 13, 14, 100, 4096]))
    kind = draw(st.sampled_from(["zero", "same", "repetitive", "random"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "zero":
        return np.zeros(size, np.uint8)
    if kind == "same":
        return np.full(size, draw(st.integers(0, 255)), np.uint8)
    if kind == "random":
        return rng.integers(0, 256, size, dtype=np.uint8)
    # a short pattern, repeated, with mutations: overlapping candidates at many offsets
    pattern = rng.integers(0, 4, draw(st.integers(1, 40)), dtype=np.uint8)
    page = np.resize(pattern, size)
    if size:
        page[rng.integers(0, size, draw(st.integers(0, 60)))] ^= 1
    return page


@given(page=edge_pages(), fmt=st.sampled_from(sorted(FORMATS)),
       candidates=st.sampled_from([1, 2, 4, 5, 16]), segment=st.integers(1, 300),
       hash_log=st.sampled_from([0, 12]))
def test_edge_pages(page, fmt, candidates, segment, hash_log):
    check(page, fmt, candidates, segment, hash_log)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_largest_page(corpus, fmt):
    # 64 KiB: offsets up to 65535, the most a carried entry holds
    page = corpus.all_pages[:16].reshape(-1).copy()
    page[40000:] = page[:65536 - 40000]  # a match 40000 bytes back
    check(page, fmt, segment=1000)
