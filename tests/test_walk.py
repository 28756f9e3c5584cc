"""Phase 3 of the block kernels: warp 0's chunked walk (``cuda_block.walk``) against the
greedy parse walked by one thread, on phase 2's matches of real pages and on made-up
match maps that make the lanes' first guesses wrong (matches that jump whole chunks,
chunks whose parses never meet).  Runs in the CUDA simulator (``-m sim``)."""

import numpy as np
import pytest

from gpuacomp import device

pytestmark = [pytest.mark.sim, pytest.mark.skipif(
    device.gpu_unavailable_reason() is not None,
    reason="no GPU path; run with NUMBA_ENABLE_CUDASIM=1 for the simulator")]


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
    from bench.walk_rounds import run_walks
    from gpuacomp.kernels.cuda_block import RECORD_QUARTER

    records, counts, _ = run_walks(src, lengths, offsets, starts, end_limit, extend_cap)
    q1, q3 = RECORD_QUARTER, 3 * RECORD_QUARTER
    for p in range(len(src)):
        positions, full, long_runs = one_thread_walk(src[p], lengths[p], offsets[p], starts,
                                                     src.shape[1], end_limit, extend_cap)
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


def test_rounds_bench_reports_every_source(capsys):
    from bench import walk_rounds

    assert walk_rounds.main(["--pages", "2"]) == 0
    row = capsys.readouterr().out.strip().splitlines()[-1]
    name, matches, rounds = (cell.strip() for cell in row.strip("|").split("|"))
    assert name.endswith("(2)")
    # 32 chunks, each final at most a round after the one before, then a round that
    # finds nothing to settle
    assert 2 <= int(rounds.split(",")[0]) <= 33
