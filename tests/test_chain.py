"""Phase 1 of the block kernels: ``cuda_block.link_chain`` against the CPU's chain
(``lz4.link_positions`` with the same hash), link for link, both ways of linking (by
rows of positions across the block, by warp 0 alone), on pages whose hashes repeat
within a warp, across the warps of a row and across rows, and on pages where they
rarely do.  Runs in the CUDA simulator (``-m sim``)."""

import functools
import os

import numpy as np
import pytest
from numba import cuda, int16, int64, uint16, uint32  # (the simulator swaps the global)

from gpuacomp import device

pytestmark = [pytest.mark.sim, pytest.mark.skipif(
    device.gpu_unavailable_reason() is not None,
    reason="no GPU path; run with NUMBA_ENABLE_CUDASIM=1 for the simulator")]

CORPUS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "shared", "corpus")


@functools.lru_cache(maxsize=None)
def chain_kernel(threads, hash_bits, parallel_chain, tagged_links=False):
    from gpuacomp.kernels import cuda_block, page_words

    link_chain = cuda_block.build(threads, hash_bits=hash_bits, parallel_chain=parallel_chain,
                                  tagged_links=tagged_links).link_chain
    workspace = cuda_block.chain_workspace(hash_bits)
    lane_entries = cuda_block.lane_entries(threads)
    buffer_words = page_words.BUFFER_WORDS  # (a shape must be a constant, not an attribute)

    @cuda.jit
    def kernel(pages, starts, links):
        p = cuda.blockIdx.x
        tid = cuda.threadIdx.x
        src = cuda.shared.array(buffer_words, uint32).view(np.uint8)
        prev = cuda.shared.array(4096, int16)
        head = cuda.shared.array(workspace, uint16)
        lanes = cuda.shared.array(lane_entries, int64)
        for i in range(tid, pages.shape[1], threads):
            src[i] = pages[p, i]
        cuda.syncthreads()
        link_chain(src, starts, head, prev, lanes, tid)
        for i in range(tid, starts, threads):
            links[p, i] = prev[i]

    return kernel


def gpu_links(pages, starts, threads, hash_bits, parallel_chain, tagged_links=False):
    links = np.full((len(pages), max(starts, 1)), -7, np.int32)
    chain_kernel(threads, hash_bits, parallel_chain, tagged_links)[len(pages), threads](
        pages, starts, links)
    return links[:, :starts]


def cpu_links(page, starts, hash_bits):
    from gpuacomp.backends.cpu import link_positions

    head = np.full(1 << hash_bits, -1, np.int32)
    prev = np.full(max(starts, 1), -7, np.int32)
    link_positions(page, starts, head, hash_bits, 0, prev)
    return prev[:starts]


def pages_with_repeats():
    """Hashes that repeat at every distance: zeros, one byte over and over, two-letter
    noise (a key repeats every few positions, across lanes, warps and rows), patterns of
    a period longer than a warp and than a row, a hash in two far-apart warps only, and
    noise (a repeat is rare)."""
    rng = np.random.default_rng(11)
    pages = [np.zeros(4096, np.uint8), np.full(4096, 0x5A, np.uint8),
             rng.integers(0, 2, 4096, dtype=np.uint8),
             np.resize(rng.integers(0, 256, 37, dtype=np.uint8), 4096),
             np.resize(rng.integers(0, 256, 300, dtype=np.uint8), 4096),
             rng.integers(0, 256, 4096, dtype=np.uint8)]
    sparse = rng.integers(0, 256, 4096, dtype=np.uint8)
    sparse[[3, 40, 41, 170, 1000, 1001, 1030]] = 7  # (the key differs; some hashes collide)
    sparse[[4, 171, 1031]] = 9
    pages.append(sparse)
    memory = os.path.join(CORPUS, "memory", "python-heap.pages")
    if os.path.exists(memory):
        pages.append(np.fromfile(memory, np.uint8, count=4096 * 41)[-4096:])
    return np.stack(pages)


@pytest.mark.parametrize("threads,parallel_chain,kinds", [
    (64, True, slice(None)), (32, False, [0, 2, 6])])
def test_chain_equals_cpu_chain(threads, parallel_chain, kinds):
    pages = pages_with_repeats()[kinds]
    starts = 4096 - 12  # LZ4's: the last row is partly empty
    got = gpu_links(pages, starts, threads, 12, parallel_chain)
    for p, page in enumerate(pages):
        want = cpu_links(page, starts, 12)
        differ = np.flatnonzero(got[p] != want)
        assert not len(differ), (f"page {p}, position {differ[0]}: linked to "
                                 f"{got[p, differ[0]]}, not {want[differ[0]]}")


@pytest.mark.parametrize("starts", [0, 1, 2, 31, 33, 255, 257, 4093])
def test_chain_of_any_length(starts):
    pages = pages_with_repeats()[[0, 2, 3]]
    got = gpu_links(pages, starts, 64, 12, True)
    for p, page in enumerate(pages):
        assert got[p].tolist() == cpu_links(page, starts, 12).tolist(), f"page {p}"


def test_chain_of_a_whole_row_and_more_threads():
    # 256 threads fill a row's byte (8 warps); 512 link with the first 256 and a 13-bit
    # hash takes the larger workspace.
    pages = pages_with_repeats()[[2]]
    for threads, hash_bits in ((256, 12), (512, 13)):
        got = gpu_links(pages, 4084, threads, hash_bits, True)
        for p, page in enumerate(pages):
            assert got[p].tolist() == cpu_links(page, 4084, hash_bits).tolist(), (
                f"{threads} threads, page {p}")


@pytest.mark.parametrize("threads,parallel_chain", [(64, True)])  # (warp 0's: the bytes)
def test_tagged_chain_carries_each_links_tag(threads, parallel_chain):
    from gpuacomp.kernels import page_words

    pages = pages_with_repeats()[[0, 2, 6]]
    got = gpu_links(pages, 4084, threads, 12, parallel_chain, tagged_links=True)
    for p, page in enumerate(pages):
        want = page_words.tagged_chain(page, cpu_links(page, 4084, 12), 12)
        differ = np.flatnonzero((got[p] & 0xFFFF) != want)
        assert not len(differ), (f"page {p}, position {differ[0]}: entry "
                                 f"{got[p, differ[0]] & 0xFFFF:#x}, not {want[differ[0]]:#x}")
