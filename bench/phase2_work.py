"""``python -m bench.phase2_work``: the GPU compress kernels' phase 2, run on one CPU core.

Phase 2 of the block-per-page kernels finds the best match of every position of a page
(``kernels/lz4_cuda.py``).  It can run by positions (each thread calls ``best_match`` at
its positions) or by segments (each thread runs ``segment_best_matches`` over a stretch
of consecutive positions, carrying lengths from one position to the one before).  Both
give the same results (checked here on every page, and in ``tests/test_best_matches.py``).

This runs both on the CPU, with the GPU's chain (12-bit hash) and the GPU's split of a
page among 256 threads, and reports milliseconds per 1000 pages for LZ4's parameters
(matches compared up to 64 bytes) and IAA deflate's (up to 258 bytes, 4 KiB back); the
chain alone (no candidates) is timed too and taken off.  The time of one core is a
measure of the work, not of a GPU's speed: a GPU also pays for divergence between the
lanes of a warp and for latency, which this cannot show.  Pages: the project's
default pages, or ``--corpus`` files or directories (cut into 4096-byte pages).
"""

import argparse
import statistics
import sys
import time

import numba
import numpy as np

from bench.common import add_corpus_option, corpus_sources
from gpuacomp.backends.cpu import link_positions, lz4
from gpuacomp.kernels import deflate_encode
from gpuacomp.kernels.lz4 import (LAST_LITERALS, MATCH_START_MARGIN, MAX_PAGE_SIZE, SELECT_CAP,
                                  segment_stretch)

best_match = lz4.best_match
segment_best_matches = lz4.segment_best_matches

GPU_HASH_LOG = 12  # cuda_block.HASH_BITS (not imported: that module needs numba.cuda)
GPU_THREADS = 256  # threads per page of the block kernels

# positions without a key before the end, match end limit before the end, cap, window
FORMATS = {
    "lz4": (MATCH_START_MARGIN, LAST_LITERALS, SELECT_CAP, MAX_PAGE_SIZE),
    "deflate": (deflate_encode.MIN_MATCH - 1, 0, deflate_encode.MAX_MATCH,
                deflate_encode.WINDOW),
}


@numba.njit
def workspace(page_size, margin, limit_back, hash_log):
    """``(positions, match end limit, head table, links)`` for a search of pages of
    ``page_size`` bytes (see FORMATS)."""
    return (page_size - margin, page_size - limit_back, np.empty(1 << hash_log, np.int32),
            np.empty(max(page_size, 1), np.int32))


@numba.njit
def _search(pages, margin, limit_back, cap, window, candidates, segment, hash_log,
            lengths, offsets):
    starts, limit, head, prev = workspace(pages.shape[1], margin, limit_back, hash_log)
    for p in range(pages.shape[0]):
        if starts <= 0:
            continue
        src = pages[p]
        head[:] = -1
        link_positions(src, starts, head, hash_log, 0, prev)
        if segment == 0:
            for i in range(starts):
                lengths[p, i], offsets[p, i] = best_match(src, i, prev, limit, candidates,
                                                          cap, window)
        else:
            for first in range(0, starts, segment):
                segment_best_matches(src, first, min(first + segment, starts), prev, limit,
                                     candidates, cap, window, lengths[p], offsets[p])


def search(pages, fmt, candidates=4, segment=0, hash_log=GPU_HASH_LOG):
    """Every position's best match in each of ``pages`` (n, page_size), as ``(lengths,
    offsets)`` of shape (n, positions): by positions (``segment`` 0) or by segments of
    ``segment`` positions."""
    margin, limit_back, cap, window = FORMATS[fmt]
    pages = np.ascontiguousarray(pages, dtype=np.uint8)
    shape = (pages.shape[0], max(pages.shape[1] - margin, 0))
    lengths = np.zeros(shape, np.int32)
    offsets = np.zeros(shape, np.int32)
    _search(pages, margin, limit_back, cap, window, candidates, segment, hash_log, lengths,
            offsets)
    return lengths, offsets


def gpu_segment(page_size, margin):
    """Positions per thread when GPU_THREADS threads split a page (cuda_block)."""
    return segment_stretch(page_size - margin, GPU_THREADS)


def measure(pages, fmt, repeat):
    """Milliseconds per 1000 pages by positions and by segments (medians of ``repeat``)."""
    segment = gpu_segment(pages.shape[1], FORMATS[fmt][0])
    by_positions = search(pages, fmt)  # (also compiles)
    by_segments = search(pages, fmt, segment=segment)
    if not all(np.array_equal(a, b) for a, b in zip(by_positions, by_segments)):
        raise AssertionError(f"{fmt}: the two searches differ")
    times = {}
    # (no candidates: the chain and the loop over positions alone)
    for name, seg, candidates in (("chain", 0, 0), ("positions", 0, 4),
                                  ("segments", segment, 4)):
        samples = []
        for _ in range(repeat):
            t = time.perf_counter()
            search(pages, fmt, candidates, seg)
            samples.append(time.perf_counter() - t)
        times[name] = statistics.median(samples) * 1e6 / len(pages)
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.phase2_work",
                                     description=__doc__.splitlines()[0])
    add_corpus_option(parser)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (default 5)")
    args = parser.parse_args(argv)
    sources = corpus_sources(args.corpus)
    print("ms per 1000 pages on one core; phase 2 = the search less the chain\n")
    print("| pages | format | chain | phase 2 by positions | by segments | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for source in sources:
        for fmt in FORMATS:
            t = measure(source.pages, fmt, args.repeat)
            positions, segments = t["positions"] - t["chain"], t["segments"] - t["chain"]
            print(f"| {source.name} ({len(source.pages)}) | {fmt} | {t['chain']:.1f} | "
                  f"{positions:.1f} | {segments:.1f} | {segments / positions:.2f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
