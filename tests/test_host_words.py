"""``gpuacomp/backends/host_words.py`` (the CPU codecs' comparisons, eight bytes at a
time) gives ``lz4._same_key``'s and ``lz4._common_length``'s results: on the pages and
cases that check the GPU's four-byte version (``test_page_words``), and on arbitrary
short arrays by hypothesis, with caps and limits that end mid-word."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from gpuacomp.backends import host_words
from gpuacomp.kernels import lz4
from test_page_words import comparison_cases, pages_to_check

pytestmark = pytest.mark.skipif(host_words.FUNCTIONS is None,
                                reason="a big-endian host compares bytewise")
same_key = getattr(host_words.FUNCTIONS, "_same_key", None)
common_length = getattr(host_words.FUNCTIONS, "_common_length", None)


@njit(cache=False)
def run_words(page, cases, keys, lengths):
    for c in range(cases.shape[0]):
        i, j = cases[c, 0], cases[c, 1]
        if i + 4 <= page.shape[0]:  # (no key beyond the array: the codecs test none)
            keys[c] = same_key(page, i, j)
        lengths[c] = common_length(page, i, j, cases[c, 2], cases[c, 3], cases[c, 4])


def check(page, cases, what):
    keys = np.zeros(len(cases), np.int64)
    lengths = np.zeros(len(cases), np.int64)
    run_words(page, cases, keys, lengths)
    for c, (i, j, length, cap, limit) in enumerate(cases.tolist()):
        if i + 4 <= len(page):
            assert keys[c] == lz4._same_key(page, i, j), f"{what}: key at {i} and {j}"
        expected = lz4._common_length(page, i, j, length, cap, limit)
        assert lengths[c] == expected, (f"{what}: i={i} j={j} from {length}, cap {cap}, "
                                        f"limit {limit}: {lengths[c]} against {expected}")


def test_words_give_the_byte_results(corpus_page_or_none):
    rng = np.random.default_rng(11)
    for p, page in enumerate(pages_to_check(corpus_page_or_none)):
        cases = comparison_cases(page, rng)
        if len(cases):
            check(page, cases, f"page {p}")


@st.composite
def arrays_and_cases(draw):
    size = draw(st.integers(2, 80))
    alphabet = draw(st.integers(1, 256))
    page = np.array(draw(st.lists(st.integers(0, alphabet - 1), min_size=size,
                                  max_size=size)), np.uint8)
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        limit = draw(st.integers(1, size))  # every compared byte lies below it
        i = draw(st.integers(1, limit))
        j = draw(st.integers(0, i - 1))
        rows.append((i, j, draw(st.integers(0, 12)), draw(st.integers(0, 90)), limit))
    return page, np.array(rows, np.int64)


@settings(max_examples=300, deadline=None)
@given(arrays_and_cases())
def test_words_agree_on_arbitrary_arrays(case):
    page, cases = case
    check(page, cases, f"array {page.tolist()}")


def test_wide_copies_stay_within_the_output(cpu):
    """The CPU decoder copies eight bytes a step and may write up to seven past a copy's
    end, never past the output it was given: each block decodes into the front of a
    larger buffer whose rest must stay as it was, with what the bytewise decoder
    reports.  Blocks: ours and liblz4's of edge pages (long zero runs, periods shorter
    and longer than a step, random), each truncated, and each into capacities that end
    mid-copy."""
    from gpuacomp.backends.cpu import decode_block
    from gpuacomp.kernels.retarget import compile_functions

    bytewise = compile_functions(lz4, lz4.CODEC_FUNCTIONS, njit(cache=False)).decode_block
    lz4_block = pytest.importorskip("lz4.block")
    rng = np.random.default_rng(3)
    pages = [np.zeros(4096, np.uint8), np.resize(np.frombuffer(b"abc", np.uint8), 4096),
             np.resize(np.frombuffer(b"01234", np.uint8), 4096),
             np.resize(np.frombuffer(b"0123456789", np.uint8), 4096),
             rng.integers(0, 256, 4096, dtype=np.uint8),
             rng.integers(0, 4, 4096, dtype=np.uint8)]
    ours = cpu.compress(np.stack(pages))
    blocks = []
    for i, page in enumerate(pages):
        for block in (ours.page(i), lz4_block.compress(page.tobytes(), store_size=False)):
            blocks += [block, block[:len(block) // 2], block[:-1]]
    for b, block in enumerate(blocks):
        src = np.frombuffer(block, np.uint8)
        for capacity in (4096, 4095, 4090, 100, 13):
            expected = np.zeros(capacity, np.uint8)
            status = bytewise(src, len(src), expected, capacity)
            buffer = np.full(capacity + 64, 0xA5, np.uint8)
            assert decode_block(src, len(src), buffer[:capacity], capacity) == status, b
            assert (buffer[capacity:] == 0xA5).all(), f"block {b} wrote past capacity {capacity}"
            if status >= 0:
                assert np.array_equal(buffer[:status], expected[:status]), b


def test_inflate_copies_stay_within_the_output():
    """The CPU inflate copies back-references and stored blocks with the same functions:
    zlib streams of edge pages (whole, truncated) decode into the front of larger rows
    whose rest stays untouched, with zlib's bytes where they decode."""
    import zlib

    from gpuacomp.backends.inflate import _inflate_range

    rng = np.random.default_rng(4)
    pages = [np.zeros(4096, np.uint8), np.resize(np.frombuffer(b"01234", np.uint8), 4096),
             np.resize(np.frombuffer(b"0123456789abc", np.uint8), 4096),
             rng.integers(0, 256, 4096, dtype=np.uint8),
             rng.integers(0, 4, 4096, dtype=np.uint8)]
    streams = []
    for page in pages:
        for level, strategy in ((1, zlib.Z_DEFAULT_STRATEGY), (9, zlib.Z_FIXED), (0, 0)):
            packer = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
            stream = packer.compress(page.tobytes()) + packer.flush()
            streams += [stream, stream[:len(stream) // 2]]
    data = np.frombuffer(b"".join(streams), np.uint8).copy()
    # Stream s decodes into row 2s; the odd rows between are guards.  (Whole rows, the
    # layout the driver's batches use: a view of wider rows would be another build.)
    sizes = [len(s) for s in streams]
    offsets = np.zeros(2 * len(streams), np.int64)
    lengths = np.zeros(2 * len(streams), np.int64)
    offsets[::2] = np.cumsum([0] + sizes[:-1])
    lengths[::2] = sizes
    for capacity in (4096, 4093, 100):
        rows = np.full((2 * len(streams), capacity), 0xA5, np.uint8)
        produced = np.empty(2 * len(streams), np.int64)
        for s in range(len(streams)):
            _inflate_range(data, offsets, lengths, 2 * s, 2 * s + 1, rows, produced)
        assert (rows[1::2] == 0xA5).all(), f"a stream wrote past capacity {capacity}"
        for s, stream in enumerate(streams):
            if produced[2 * s] >= 0:
                expected = zlib.decompressobj(-15).decompress(stream)
                assert rows[2 * s, :produced[2 * s]].tobytes() == expected[:produced[2 * s]], s
