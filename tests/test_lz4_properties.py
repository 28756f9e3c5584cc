"""Hypothesis properties of the CPU codec: exact round trips (ours and liblz4), the
reference parse, and determinism (DESIGN.md contract 2): a page's bytes depend only on
the page, never on its batch, position or thread count."""

import lz4.block
import numba
import numpy as np
import pytest
from hypothesis import given, strategies as st

import gpuacomp
from gpuacomp.kernels.lz4 import compress_bound

PAGE = 4096
EDGE_SIZES = (0, 1, 13, 4095, 4096, 65536)


@pytest.fixture(scope="module")
def by_size():
    """Compressor for (page_size, candidates, threads, lazy), made once per module."""
    cache = {}

    def get(page_size=PAGE, candidates=4, threads=None, lazy=False):
        key = (page_size, candidates, threads, lazy)
        if key not in cache:
            cache[key] = gpuacomp.Compressor(device="cpu", page_size=page_size,
                                             candidates=candidates, threads=threads,
                                             lazy=lazy)
        return cache[key]
    return get


def real_bytes(corpus, start, size):
    """``size`` bytes of real corpus data from ``start`` (wrapping)."""
    flat = corpus.all_pages.reshape(-1)
    return flat[(start + np.arange(size)) % len(flat)]


@st.composite
def pages(draw, sizes=EDGE_SIZES, corpus=None):
    """One page of a drawn size: zero, same-filled, repetitive with mutations, random,
    or a slice of real corpus pages (when ``corpus`` is given)."""
    size = draw(st.sampled_from(sizes))
    kinds = ["zero", "same", "repetitive", "random"] + (["real"] if corpus else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "zero":
        page = np.zeros(size, np.uint8)
    elif kind == "same":
        page = np.full(size, draw(st.integers(0, 255)), np.uint8)
    elif kind == "random":
        page = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(
            0, 256, size, dtype=np.uint8)
    elif kind == "repetitive":
        pattern = draw(st.binary(min_size=1, max_size=64))
        page = np.resize(np.frombuffer(pattern, np.uint8), size).copy()
    else:
        page = real_bytes(corpus, draw(st.integers(0, 2**40)), size).copy()
    if size and kind != "random":
        for pos, value in draw(st.lists(st.tuples(st.integers(0, size - 1),
                                                  st.integers(0, 255)), max_size=8)):
            page[pos] = value
    return page


def check_exact(compressor, page, lz4ref, check_parse=True):
    size = len(page)
    batch = compressor.compress(page[None, :])
    assert batch.ok
    block = batch.page(0)
    assert len(block) <= compress_bound(size)
    assert lz4.block.decompress(block, uncompressed_size=size) == page.tobytes()
    np.testing.assert_array_equal(compressor.decompress(batch), page[None, :])
    if check_parse:
        assert block == lz4ref.encode(page, compressor.candidates, compressor.lazy)
    theirs = lz4.block.compress(page.tobytes(), store_size=False)
    np.testing.assert_array_equal(compressor.decompress([theirs], page_size=size),
                                  page[None, :])
    return block


@given(data=st.data())
def test_round_trip_edge_pages(by_size, corpus, lz4ref, data):
    page = data.draw(pages(corpus=corpus))
    check_exact(by_size(len(page)), page, lz4ref)


@given(page=pages())
def test_round_trip_edge_pages_without_corpus(by_size, lz4ref, page):
    check_exact(by_size(len(page)), page, lz4ref)


@given(data=st.data(), candidates=st.sampled_from([1, 2, 4, 8, 16]), lazy=st.booleans())
def test_candidates_round_trip(by_size, corpus, lz4ref, data, candidates, lazy):
    page = data.draw(pages(sizes=(13, 100, 4096), corpus=corpus))
    check_exact(by_size(len(page), candidates=candidates, lazy=lazy), page, lz4ref)


def thread_counts():
    return sorted({1, min(2, numba.config.NUMBA_NUM_THREADS), None}, key=str)


@given(data=st.data(), batch_size=st.integers(1, 40))
def test_same_bytes_in_any_batch_position_size_and_thread_count(by_size, corpus, data,
                                                                 batch_size):
    page = data.draw(pages(sizes=(PAGE,), corpus=corpus))
    position = data.draw(st.integers(0, batch_size - 1))
    rows = data.draw(st.lists(st.integers(0, len(corpus.all_pages) - 1),
                              min_size=batch_size, max_size=batch_size))
    batch_pages = corpus.all_pages[rows].copy()
    batch_pages[position] = page
    alone = by_size(threads=1).compress(page).page(0)
    for threads in thread_counts():
        batch = by_size(threads=threads).compress(batch_pages)
        assert batch.page(position) == alone, f"threads={threads}"


@given(data=st.data(), batch_size=st.integers(0, 24))
def test_batch_is_logically_equivalent_to_pages_alone(by_size, corpus, data, batch_size):
    # python-zstandard's oracle: a batch call equals the per-item calls.
    batch_pages = np.stack([data.draw(pages(sizes=(PAGE,), corpus=corpus))
                            for _ in range(batch_size)]) if batch_size else \
        np.empty((0, PAGE), np.uint8)
    c = by_size(threads=data.draw(st.sampled_from(thread_counts())))
    batch = c.compress(batch_pages)
    assert len(batch) == batch_size and batch.ok
    blocks = [batch.page(i) for i in range(batch_size)]
    assert blocks == [c.compress(p).page(0) for p in batch_pages]
    np.testing.assert_array_equal(c.decompress(batch), batch_pages)
    for i, block in enumerate(blocks):
        np.testing.assert_array_equal(c.decompress([block], page_size=PAGE)[0], batch_pages[i])


def test_thread_counts_on_whole_corpus(by_size, corpus):
    # One big batch: every chunk split of the pages gives the same bytes.
    pages_ = corpus.all_pages
    reference = by_size(threads=1).compress(pages_)
    ref_blocks = [reference.page(i) for i in range(len(reference))]
    for threads in thread_counts():
        batch = by_size(threads=threads).compress(pages_)
        assert [batch.page(i) for i in range(len(batch))] == ref_blocks, f"threads={threads}"
    # ... and any sub-batch, from any start.
    for start, stop in ((1, 2), (17, 300), (len(pages_) - 5, len(pages_))):
        sub = by_size().compress(pages_[start:stop])
        assert [sub.page(i) for i in range(len(sub))] == ref_blocks[start:stop]


def test_more_threads_than_numba_has():
    # More threads than numba's pool: construction must refuse it, naming `threads`,
    # or the batch must run (contract 2: same bytes for any thread count).
    threads = numba.config.NUMBA_NUM_THREADS + 1
    try:
        c = gpuacomp.Compressor(device="cpu", threads=threads)
    except ValueError as exc:
        assert "threads" in str(exc)
        return
    pages_ = np.resize(np.arange(7, dtype=np.uint8), (64, PAGE))
    pages_[:, ::5] = np.random.default_rng(6).integers(0, 4, (64, -(-PAGE // 5)), dtype=np.uint8)
    expected = gpuacomp.Compressor(device="cpu", threads=1).compress(pages_)
    batch = c.compress(pages_)
    assert [batch.page(i) for i in range(64)] == [expected.page(i) for i in range(64)]
