"""Output buffers are used again only when nothing holds them."""

import numpy as np

import gpuacomp
from gpuacomp.backends.recycled import KEEP_LIMIT, RecycledBuffer


def test_a_free_buffer_is_used_again_a_held_one_never():
    recycled = RecycledBuffer()
    first = recycled.empty(1000)
    address = first.__array_interface__["data"][0]
    view = first[10:20]
    del first
    second = recycled.empty(500)  # ``view`` still reads the first buffer
    assert second.__array_interface__["data"][0] != address
    del view, second
    third = recycled.empty(800)
    assert third.size == 800


def test_a_freed_buffer_comes_back():
    recycled = RecycledBuffer()
    address = recycled.empty(4096).__array_interface__["data"][0]
    assert recycled.empty(4000).__array_interface__["data"][0] == address


def test_huge_buffers_are_not_kept():
    recycled = RecycledBuffer()
    recycled.empty(KEEP_LIMIT + 1)
    assert recycled._buffer is None


def test_batches_a_caller_keeps_stay_intact():
    rng = np.random.default_rng(0)
    pages = [rng.integers(0, 4, (16, 4096), dtype=np.uint8) for _ in range(3)]
    for driver in ("lz4", "deflate-iaa"):
        c = gpuacomp.Compressor(driver, device="cpu")
        kept = [c.compress(p) for p in pages]
        expected = [[b.page(i) for i in range(16)] for b in kept]
        for _ in range(3):
            c.compress(pages[0])  # dropped at once: its memory may be used again
        for batch, blocks, p in zip(kept, expected, pages):
            assert [batch.page(i) for i in range(16)] == blocks
            np.testing.assert_array_equal(c.decompress(batch), p)
