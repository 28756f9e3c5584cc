"""``python -m bench.lockstep``: phase 2's chain walk as a warp pays for it, counted on the CPU.

Phase 2 of the block-per-page kernels (``kernels/cuda_block.find_best_matches``) walks
each position's hash chain in ``lz4.best_match`` (or, by segments,
``lz4.segment_best_matches``) and compares the candidates it finds (byte by byte on
the CPU, four bytes a step in the kernels by default).  A
warp's 32 lanes run in step and meet again after each position, so at each step a warp
pays its slowest lane's count for every lane.  ``bench.phase2_work`` times the work on
one core; this counts it, per page, for links followed and for bytes compared:

- the total: what the lanes do (a measure of the work);
- **by positions**: what warps pay when a warp's lanes take 32 consecutive positions
  (the default kernels);
- **by segments**: when each lane takes a stretch of ``segment_stretch`` positions
  (``segments=True``) and goes down it in step with the other lanes, carrying lengths
  from one position to the one below;
- **exact chain** (links): by positions, if every link went to an earlier position
  with the same 4-byte key (no collisions to skip), plus the pass that would have to
  build such a chain from the hash chain (each position skipping the collisions before
  its first candidate);
- **two passes**: by positions, if each position walked at most ``--budget`` links,
  and the positions that did not finish were then listed and walked again from the
  start, 32 of the list to a warp;
- **word steps** (by positions): the byte comparisons as the kernels make them by
  default, four bytes a step (``kernels/page_words.py``).

The GPU's chain (a 12-bit hash) and its split of a page among 256 threads are used.
The walks counted here mirror the kernels' functions, and their results are checked
against them at every position.  Pages: the project's default pages, or ``--corpus``
files or directories (cut into 4096-byte pages).
"""

import argparse
import itertools
import sys

import numba
import numpy as np

from bench.common import add_corpus_option, corpus_sources
from bench.phase2_work import FORMATS, GPU_HASH_LOG, gpu_segment, search, workspace
from gpuacomp.backends.cpu import link_positions
from gpuacomp.kernels import lz4

WARP = 32
KEPT = 4  # candidates a segment's lane carries from one position to the one before
same_key = numba.njit(lz4._same_key)


@numba.njit
def _walk(src, i, prev, limit, candidates, cap, window, carried, kept, budget, counts):
    """``best_match`` at ``i``, or with ``carried`` (the (offset, length) rows measured at
    ``i + 1``) a step of ``segment_best_matches``; the rows it measures go to ``kept``.
    Counts into ``counts``: the links followed, the candidates found, the collisions
    skipped before the first one (or the chain's end), the bytes compared beyond the
    keys, those of them compared in the first ``budget`` links, and the steps the GPU's
    comparison four bytes at a time (``page_words.common_length``) takes for them.
    Returns ``(length, offset)``."""
    best_length = 0
    best_offset = 0
    found = 0
    links = 0
    before_first = 0
    compared = 0
    compared_early = -1
    word_steps = 0
    kept[:] = 0
    n_kept = 0
    j = prev[i]
    while j >= 0 and found < candidates and i - j <= window:
        if links == budget:
            compared_early = compared
        links += 1
        offset = i - j
        carried_length = -1
        for k in range(KEPT):
            if carried[k, 0] == offset:
                carried_length = carried[k, 1]
        if not (src[i] == src[j] if carried_length >= 0 else same_key(src, i, j)):
            before_first += found == 0
            j = prev[j]
            continue
        found += 1
        if carried_length >= 0:
            length = min(cap, carried_length + 1)
        else:
            if best_length > 0:  # only a candidate that also matches there can win
                if i + best_length >= limit:
                    j = prev[j]
                    continue
                compared += 1
                if src[j + best_length] != src[i + best_length]:
                    j = prev[j]
                    continue
            length = lz4.MIN_MATCH
            end = min(cap, limit - i)
            while length < end:
                compared += 1
                if src[j + length] != src[i + length]:
                    break
                length += 1
            # a step a word, up to the first that differs or reaches the end
            if length < end:
                word_steps += (length - lz4.MIN_MATCH) // 4 + 1
            elif end > lz4.MIN_MATCH:
                word_steps += (end - lz4.MIN_MATCH + 3) // 4
        if n_kept < KEPT:
            kept[n_kept, 0] = offset
            kept[n_kept, 1] = length
            n_kept += 1
        if length > best_length:
            best_length = length
            best_offset = offset
            if length == cap or i + length == limit:
                break
        j = prev[j]
    counts[0] = links
    counts[1] = found
    counts[2] = before_first
    counts[3] = compared
    counts[4] = compared if compared_early < 0 else compared_early
    counts[5] = word_steps
    return best_length, best_offset


@numba.njit
def _count(pages, margin, limit_back, cap, window, candidates, hash_log, segment, budget,
           counts, lengths, offsets):
    """Phase 2 on every page, counted: by positions (``segment`` 0), or by segments."""
    starts, limit, head, prev = workspace(pages.shape[1], margin, limit_back, hash_log)
    carried = np.zeros((KEPT, 2), np.int64)
    kept = np.zeros((KEPT, 2), np.int64)
    for p in range(pages.shape[0]):
        src = pages[p]
        head[:] = -1
        link_positions(src, starts, head, hash_log, 0, prev)
        for i in range(starts - 1, -1, -1):  # down each segment, as the kernels go
            if segment == 0 or (i + 1) % segment == 0 or i == starts - 1:
                carried[:] = 0  # the first position of a lane's segment
            lengths[p, i], offsets[p, i] = _walk(src, i, prev, limit, candidates, cap,
                                                 window, carried, kept, budget,
                                                 counts[p, i])
            carried[:] = kept


def lane_steps(per_position, lanes_take):
    """What a page's warps pay for ``per_position`` (n, positions) counts: lanes take
    ``lanes_take`` consecutive positions each and step down through them together, each
    step costing the warp its slowest lane's count for every lane (so it is comparable
    with the total)."""
    n, positions = per_position.shape
    per_warp = WARP * lanes_take
    lanes = -(-positions // per_warp) * WARP
    # step k of lane l: position l * lanes_take + lanes_take - 1 - k, where there is one
    # (a short last segment starts at its own last position)
    last = np.minimum((np.arange(lanes) + 1) * lanes_take, positions)[:, None]
    position = last - 1 - np.arange(lanes_take)[None, :]
    valid = position >= np.arange(lanes)[:, None] * lanes_take
    padded = np.concatenate([per_position, np.zeros((n, 1), per_position.dtype)], axis=1)
    steps = padded[:, np.where(valid, position, positions)]  # (page, lane, step)
    return WARP * steps.reshape(n, -1, WARP, lanes_take).max(axis=2).sum(axis=(1, 2))


def pending_steps(per_position, pending):
    """What warps pay for the ``pending`` positions' counts when the block lists them in
    order and each warp takes 32 of the list at a time (per page, as ``lane_steps``)."""
    paid = np.zeros(per_position.shape[0], np.int64)
    for p, (counts, chosen) in enumerate(zip(per_position, pending)):
        listed = counts[chosen]
        padded = np.zeros(-(-len(listed) // WARP) * WARP, listed.dtype)
        padded[:len(listed)] = listed
        paid[p] = WARP * padded.reshape(-1, WARP).max(axis=1, initial=0).sum()
    return paid


def count_links(pages, fmt, candidates=4, budget=4):
    """Per-page counts of phase 2 on ``pages`` (n, page_size): a dict of arrays.

    ``two_passes_*``: what warps would pay if phase 2 went in two passes, every position
    walking at most ``budget`` links, then the positions that did not finish listed and
    walked again from the start (not built; see bench/RESULTS.md)."""
    margin, limit_back, cap, window = FORMATS[fmt]
    pages = np.ascontiguousarray(pages, dtype=np.uint8)
    positions = max(pages.shape[1] - margin, 0)
    segment = gpu_segment(pages.shape[1], margin)
    counted = {}
    for name, split in (("positions", 0), ("segments", segment)):
        counts = np.zeros((pages.shape[0], positions, 6), np.int64)
        lengths = np.zeros((pages.shape[0], positions), np.int32)
        offsets = np.zeros_like(lengths)
        _count(pages, margin, limit_back, cap, window, candidates, GPU_HASH_LOG, split,
               budget, counts, lengths, offsets)
        expected = search(pages, fmt, candidates, split)
        if not all(np.array_equal(a, b) for a, b in zip((lengths, offsets), expected)):
            raise AssertionError(f"{fmt}: the counted walk by {name} differs from the kernels'")
        counted[name] = counts
    links, found, relink, compared, compared_early, word_steps = (
        counted["positions"][..., k] for k in range(6))
    unfinished = links > budget
    return dict(links=links.sum(axis=1), by_positions=lane_steps(links, 1),
                by_segments=lane_steps(links, segment),
                exact_chain=lane_steps(found, 1), exact_relink=lane_steps(relink, 1),
                longest_walk=links.max(axis=1, initial=0),
                compared=compared.sum(axis=1), compared_by_positions=lane_steps(compared, 1),
                word_steps=word_steps.sum(axis=1),
                word_steps_by_positions=lane_steps(word_steps, 1),
                compared_segments=counted["segments"][..., 3].sum(axis=1),
                compared_by_segments=lane_steps(counted["segments"][..., 3], segment),
                two_passes_links=(lane_steps(np.minimum(links, budget), 1)
                                  + pending_steps(links, unfinished)),
                two_passes_compared=(lane_steps(compared_early, 1)
                                     + pending_steps(compared, unfinished)),
                two_passes_listed=unfinished.sum(axis=1))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.lockstep",
                                     description=__doc__.splitlines()[0])
    add_corpus_option(parser)
    parser.add_argument("--candidates", type=int, nargs="*", default=[4],
                        help="candidates a position compares (default 4, the parse's)")
    parser.add_argument("--budget", type=int, default=4,
                        help="links a position walks in the first of two passes (default 4)")
    args = parser.parse_args(argv)
    print("chain links and bytes compared per page (means); a warp pays its slowest lane's "
          "count for every lane\n")
    print("| pages | format | candidates | links | warps pay: by positions | by segments "
          "| exact chain + its relink | longest walk, median / max of pages "
          "| bytes compared by positions | warps pay | by segments | warps pay "
          "| word steps by positions | warps pay "
          f"| two passes ({args.budget} links): links + bytes warps pay (positions listed) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for source in corpus_sources(args.corpus):
        for fmt, candidates in itertools.product(FORMATS, args.candidates):
            c = count_links(source.pages, fmt, candidates, args.budget)
            mean = {k: float(v.mean()) for k, v in c.items()}
            print(f"| {source.name} ({len(source.pages)}) | {fmt} | {candidates} | "
                  f"{mean['links']:.0f} | "
                  f"{mean['by_positions']:.0f} | {mean['by_segments']:.0f} | "
                  f"{mean['exact_chain']:.0f} + {mean['exact_relink']:.0f} | "
                  f"{np.median(c['longest_walk']):.0f} / {c['longest_walk'].max()} | "
                  f"{mean['compared']:.0f} | {mean['compared_by_positions']:.0f} | "
                  f"{mean['compared_segments']:.0f} | {mean['compared_by_segments']:.0f} | "
                  f"{mean['word_steps']:.0f} | {mean['word_steps_by_positions']:.0f} | "
                  f"{mean['two_passes_links']:.0f} + {mean['two_passes_compared']:.0f} "
                  f"({mean['two_passes_listed']:.0f}) |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
