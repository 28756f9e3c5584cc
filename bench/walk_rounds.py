"""``python -m bench.walk_rounds``: how many rounds warp 0's walk takes to agree.

Phase 3 of the block-per-page kernels (``cuda_block.walk``) gives each of warp 0's
lanes a chunk of the page; each walks its chunk from the chunk's first match, then
settles it again, round after round, while its entry (where the lane before leaves)
changes.  One thread walked every match of the page before, so the walk pays off when
the lanes agree in few rounds.  This runs the walk on phase 2's matches of real pages
(LZ4's parameters) and reports its rounds beside the matches one thread would walk.

It runs the kernel's own code in numba's CUDA simulator (it sets
``NUMBA_ENABLE_CUDASIM=1`` when run as a script), which is slow: a few hundred pages.
Rounds are a count, not a time.
"""

import argparse
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")  # before numba is imported

import numpy as np  # noqa: E402
from numba import cuda  # noqa: E402  (module level: the simulator swaps it in kernels)

from bench.common import add_corpus_option, corpus_sources  # noqa: E402

LANES = 32  # the walk is warp 0's


def walk_kernel():
    """A kernel that runs ``cuda_block.walk`` on page ``blockIdx.x`` of its arguments."""
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


def run_walks(src, lengths, offsets, starts, end_limit, extend_cap):
    """Walk each page of ``src`` (n, page_size) over phase 2's ``lengths`` and
    ``offsets`` (n, positions): ``(records, counts, rounds)``, the records in
    ``cuda_block``'s layout, counts (matches, long literal runs) and the walk's rounds."""
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
    flags = np.zeros((n, 1), np.int32)
    walk_kernel()[n, LANES](np.require(src, requirements=["C", "W"]), bits, padded, padded_offsets,
                            np.zeros((n, BITMAP_WORDS), np.uint32), records,
                            np.zeros((n, LANES), np.int64), flags, counts, starts,
                            page_size, end_limit, extend_cap)
    # flags hold the last round in which a lane settled; one more round found none
    return records, counts, flags[:, 0] + 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.walk_rounds",
                                     description=__doc__.splitlines()[0])
    add_corpus_option(parser)
    parser.add_argument("--pages", type=int, default=128, help="pages of each source")
    args = parser.parse_args(argv)
    from bench.phase2_work import search
    from gpuacomp.kernels.lz4 import LAST_LITERALS, MATCH_START_MARGIN, SELECT_CAP

    sources = corpus_sources(args.corpus)
    print("| pages | matches a page (one thread's steps): median, max | "
          "rounds: median, 90th percentile, max |")
    print("|---|---:|---:|")
    for source in sources:
        rows = np.random.default_rng(0).permutation(len(source.pages))[:args.pages]
        pages = source.pages[np.sort(rows)]  # a copy, in order
        page_size = pages.shape[1]
        lengths, offsets = search(pages, "lz4")
        _, counts, rounds = run_walks(pages, lengths, offsets, page_size - MATCH_START_MARGIN,
                                      page_size - LAST_LITERALS, SELECT_CAP)
        matches = counts[:, 0]
        print(f"| {source.name} ({len(pages)}) | {np.median(matches):.0f}, {matches.max()} | "
              f"{np.median(rounds):.0f}, {np.percentile(rounds, 90):.0f}, {rounds.max()} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
