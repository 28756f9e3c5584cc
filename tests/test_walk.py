"""Phase 3 of the block kernels: warp 0's chunked walk (``cuda_block.walk``) against the
greedy parse walked by one thread, on phase 2's matches of real pages and on made-up
match maps that make the lanes' first guesses wrong (matches that jump whole chunks,
chunks whose parses never meet).  Runs in the CUDA simulator (``-m sim``)."""

import numpy as np
import pytest
from numba import cuda  # at module level: the simulator swaps it for its own in kernels

from gpuacomp import device

SIM = device.simulator_enabled()
pytestmark = [pytest.mark.sim, pytest.mark.skipif(
    device.gpu_unavailable_reason() is not None,
    reason="no GPU path; run with NUMBA_ENABLE_CUDASIM=1 for the simulator")]

LANES = 32  # the walk is warp 0's


def walk_kernel():
    from gpuacomp.kernels import cuda_block

    walk = cuda_block.build(LANES).walk

    @cuda.jit
    def run(src, bits, lengths, offsets, path, records, lanes, flags, counts, starts,
            page_size, end_limit, extend_cap):
        p = cuda.blockIdx.x
        matches, long_runs = walk(src[p], bits[p], lengths[p], offsets[p], path[p],
                                  records[p], lanes[p], flags[p], starts, page_size,
                                  end_limit, extend_cap, cuda.threadIdx.x)
        if cuda.threadIdx.x == 0:
            counts[p, 0] = matches
            counts[p, 1] = long_runs

    return run


def one_thread_walk(src, lengths, offsets, starts, page_size, end_limit, extend_cap):
    """The greedy parse as one thread walks it: ``(positions, lengths, long runs)``."""
    from gpuacomp.kernels.cuda_block import LONG_LITERALS
    from gpuacomp.kernels.lz4 import extend_match

    positions, full, long_runs = [], [], []
    i = anchor = 0
    while i < starts:
        if lengths[i] == 0:
            i += 1
            continue
        length = int(lengths[i])
        if length == extend_cap:
            length = extend_match(src, i, i - int(offsets[i]), length, end_limit)
        if i - anchor > LONG_LITERALS:
            long_runs.append(len(positions))
        positions.append(i)
        full.append(length)
        i += length
        anchor = i
    if page_size - anchor > LONG_LITERALS:
        long_runs.append(len(positions))
    return positions, full, long_runs


def check_walks(src, lengths, offsets, starts, end_limit, extend_cap):
    from gpuacomp.kernels.cuda_block import BITMAP_WORDS, RECORD_QUARTER

    n, page_size = src.shape
    padded = np.zeros((n, page_size), np.uint16)
    padded_offsets = np.zeros((n, page_size), np.uint16)
    padded[:, :lengths.shape[1]] = lengths
    padded_offsets[:, :offsets.shape[1]] = offsets
    bits = np.zeros((n, BITMAP_WORDS), np.uint32)
    for p, i in zip(*np.nonzero(padded[:, :starts])):
        bits[p, i >> 5] |= np.uint32(1 << (i & 31))
    records = np.zeros((n, 4 * RECORD_QUARTER), np.uint16)
    counts = np.zeros((n, 2), np.int32)
    walk_kernel()[n, LANES](src, bits, padded, padded_offsets,
                            np.zeros((n, BITMAP_WORDS), np.uint32), records,
                            np.zeros((n, LANES), np.int64), np.zeros((n, 1), np.int32),
                            counts, starts, page_size, end_limit, extend_cap)
    q1, q3 = RECORD_QUARTER, 3 * RECORD_QUARTER
    for p in range(n):
        positions, full, long_runs = one_thread_walk(src[p], padded[p], padded_offsets[p],
                                                     starts, page_size, end_limit, extend_cap)
        matches, runs = counts[p]
        assert matches == len(positions), f"page {p}"
        assert records[p, :matches].tolist() == positions, f"page {p}"
        assert records[p, q1:q1 + matches].tolist() == full, f"page {p}"
        assert records[p, q3:q3 + runs].tolist() == long_runs, f"page {p}"


def made_up_maps(seed):
    """Match maps no real page gives: random match starts and lengths, some far longer
    than a lane's chunk of 128 positions, at densities from sparse to every position."""
    rng = np.random.default_rng(seed)
    starts = 4093
    lengths = np.zeros((6, starts), np.uint16)
    for row, density in enumerate((0.002, 0.02, 0.2, 0.6, 1.0, 1.0)):
        at = rng.random(starts) < density
        longest = 3000 if row % 2 else 300
        lengths[row, at] = rng.integers(4, longest, at.sum())
    lengths[5, ::2] = 4  # every other position 4 long, the rest long: parses rarely meet
    room = (starts + 3 - np.arange(starts)).astype(np.uint16)  # to the end of the page
    return np.minimum(lengths, room)


@pytest.mark.parametrize("seed", [1, 2])
def test_warp_walk_equals_one_thread_on_made_up_maps(seed):
    lengths = made_up_maps(seed)
    src = np.zeros((len(lengths), 4096), np.uint8)
    check_walks(src, lengths, np.ones_like(lengths), 4093, 4096, 0)  # deflate's bounds


def test_warp_walk_equals_one_thread_on_real_pages(corpus):
    from bench.phase2_work import search
    from gpuacomp.kernels.lz4 import LAST_LITERALS, MATCH_START_MARGIN, SELECT_CAP

    pages = np.concatenate([corpus.sample(corpus.memory(name), 4, seed=5)
                            for name in corpus.memory_files()]
                           + [corpus.sample(corpus.all_pages, 4, seed=6)])
    lengths, offsets = search(pages, "lz4")
    check_walks(np.ascontiguousarray(pages), lengths, offsets, 4096 - MATCH_START_MARGIN,
                4096 - LAST_LITERALS, SELECT_CAP)
