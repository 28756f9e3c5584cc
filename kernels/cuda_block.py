"""Device helpers of the block-per-page compress kernels (LZ4's and IAA deflate's).

Both kernels parse a page the same way (``kernels/lz4.py``'s definition): a hash chain
of every position, each position's best match in parallel, then one thread's greedy
walk over a bitmap of the positions that have a match.  What they share lives here:

- ``link_chain``: the chain, built by warp 0 a warp-width of positions at a time, in
  order: lanes with the same 12-bit hash of their 4-byte key find each other with one
  ``match_any_sync``, link to the nearest earlier lane of their group, and the group's
  first lane links to (and updates) a head table.  Each position links to the previous
  position with the same hash, the CPU's kind of chain.  (A first version sorted all
  positions by key instead; the 78-stage bitonic sort took 43% of the LZ4 kernel's
  time on an H200.)
- ``find_best_matches``: phase 2, every position's best match and a bitmap of the
  positions that have one; by single positions (``lz4.best_match``) or, with
  ``segments``, a stretch of consecutive positions per thread
  (``lz4.segment_best_matches``, one bitmap atomic per word).
- ``segment_bounds``: a thread's stretch when the block splits a count.
- ``next_match``: the walk's jump to the next position with a match.
- ``block_exclusive_sum``: a prefix sum over the threads of a block.
- ``record_match`` / ``record_end`` write the walk's records, ``sequence_at`` /
  ``sequence_end`` read them: (position | length << 16) of match k in ``records[k]``,
  its offset in ``records[RECORD_QUARTER + k]``, and from ``records[3 *
  RECORD_QUARTER]`` on, the numbers of the sequences whose literal runs are longer than
  ``LONG_LITERALS`` (the whole block handles those).  The second quarter is the
  kernel's own.

The simulator has no warp intrinsics: there a block barrier and a scan of the lanes'
values stand in for ``syncwarp`` and ``match_any_sync`` (all threads take part, as
barriers need).
"""

import functools
import types

import numba
import numpy as np
from numba import cuda, int32, int64, uint32, uint64

from gpuacomp.kernels import lz4
from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE
from gpuacomp.kernels.retarget import compile_functions

SIMULATOR = bool(numba.config.ENABLE_CUDASIM)
HASH_BITS = 12
HASH_ENTRIES = 1 << HASH_BITS  # the head table: a uint32 buffer of a page's positions
EMPTY = np.uint32(0xFFFFFFFF)
NO_MORE = 1 << 30
BITMAP_WORDS = GPU_MAX_PAGE_SIZE // 32
# A page of 4 KiB has fewer than 1024 matches of 4 bytes or more: record quarters of
# 1024 entries hold one field of every sequence.
RECORD_QUARTER = GPU_MAX_PAGE_SIZE // 4
LONG_LITERALS = 32  # literal runs longer than this are handled by the whole block


@functools.lru_cache(maxsize=None)
def build(threads, segments=False):
    """The helpers for blocks of ``threads`` threads (a power of two >= 32); phase 2 by
    ``segments`` or by single positions (the same results, a different work split)."""
    if threads < 32 or threads & (threads - 1):
        raise ValueError(f"threads must be a power of two >= 32 (a whole warp), got {threads}")
    q1, q3 = RECORD_QUARTER, 3 * RECORD_QUARTER
    search = compile_functions(
        lz4, ("_same_key", "best_match", "_carried_length", "segment_best_matches"),
        cuda.jit(device=True))
    best_match = search.best_match
    segment_best_matches = search.segment_best_matches

    if SIMULATOR:
        @cuda.jit(device=True)
        def warp_barrier():
            cuda.syncthreads()

        @cuda.jit(device=True)
        def lanes_with_value(value, lane, lane_values):
            mask = 0
            for other in range(32):
                if lane_values[other] == value:
                    mask |= 1 << other
            return mask
    else:
        @cuda.jit(device=True)
        def warp_barrier():
            cuda.syncwarp()

        @cuda.jit(device=True)
        def lanes_with_value(value, lane, lane_values):
            return cuda.match_any_sync(0xFFFFFFFF, value)

    @cuda.jit(device=True)
    def hash_key(src, i):
        key = (uint64(src[i]) | (uint64(src[i + 1]) << 8) | (uint64(src[i + 2]) << 16)
               | (uint64(src[i + 3]) << 24))
        return int64(((key * uint64(2654435761)) & uint64(0xFFFFFFFF)) >> (32 - HASH_BITS))

    @cuda.jit(device=True)
    def link_chain(src, starts, head, prev, lane_hash, tid):
        """Link ``prev[i]`` for every ``i < starts`` (the block's threads all call this;
        ``head`` is a uint32 workspace of ``HASH_ENTRIES``, ``lane_hash`` of 32)."""
        for h in range(tid, HASH_ENTRIES, threads):
            head[h] = EMPTY
        cuda.syncthreads()
        if tid < 32 or SIMULATOR:
            for base in range(0, starts, 32):
                i = base + tid
                active = tid < 32 and i < starts
                h = hash_key(src, i) if active else HASH_ENTRIES + tid  # unique filler
                if tid < 32:
                    lane_hash[tid] = h
                warp_barrier()
                group = lanes_with_value(h, tid, lane_hash)
                if active:
                    lower = uint32(group & ((1 << tid) - 1))
                    if lower != 0:
                        prev[i] = base + 31 - cuda.clz(lower)  # nearest earlier lane
                    else:
                        # The group's first lane links to the table and leaves the
                        # group's last position there: one thread reads and writes.
                        last = head[h]
                        prev[i] = -1 if last == EMPTY else int32(last)
                        head[h] = base + 31 - cuda.clz(uint32(group))
                warp_barrier()
        cuda.syncthreads()

    @cuda.jit(device=True)
    def segment_bounds(count, tid):
        """The positions ``[first, last)`` of thread tid when the block's threads split
        ``count`` positions into stretches of consecutive ones."""
        stretch = (count + threads - 1) // threads
        first = min(tid * stretch, count)
        return first, min(first + stretch, count)

    @cuda.jit(device=True)
    def mark_matches(bits, lengths, first, last):
        """Set the bit of each position of ``[first, last)`` whose length is not 0."""
        word = first >> 5
        mask = uint32(0)
        for i in range(first, last):
            if i >> 5 != word:
                if mask != 0:
                    cuda.atomic.or_(bits, word, mask)
                word = i >> 5
                mask = uint32(0)
            if lengths[i] > 0:
                mask |= uint32(1 << (i & 31))
        if mask != 0:
            cuda.atomic.or_(bits, word, mask)

    @cuda.jit(device=True)
    def find_best_matches(src, count, prev, end_limit, max_candidates, cap, window, lengths,
                          offsets, bits, tid):
        """Phase 2 (the block's threads all call it): the best match of every position
        below ``count`` into ``lengths`` and ``offsets``, and its bit in ``bits`` where
        there is one.  The caller synchronises before reading them."""
        if segments:
            first, last = segment_bounds(count, tid)
            segment_best_matches(src, first, last, prev, end_limit, max_candidates, cap,
                                 window, lengths, offsets)
            mark_matches(bits, lengths, first, last)
        else:
            for i in range(tid, count, threads):
                length, offset = best_match(src, i, prev, end_limit, max_candidates, cap,
                                            window)
                lengths[i] = length
                offsets[i] = offset
                if length > 0:
                    cuda.atomic.or_(bits, i >> 5, uint32(1 << (i & 31)))

    @cuda.jit(device=True)
    def next_match(bits, i, used_words):
        """First position >= i whose bit is set, or NO_MORE."""
        w = i >> 5
        if w >= used_words:
            return NO_MORE
        m = uint64(bits[w]) & ((uint64(0xFFFFFFFF) << uint64(i & 31)) & uint64(0xFFFFFFFF))
        while m == 0:
            w += 1
            if w >= used_words:
                return NO_MORE
            m = uint64(bits[w])
        return (w << 5) + cuda.clz(cuda.brev(m))  # + trailing zeros of m

    @cuda.jit(device=True)
    def block_exclusive_sum(value, scan, tid):
        """``(sum of value over the threads before tid, sum over the block)``; every
        thread calls it, ``scan`` is a uint32 workspace of ``threads`` entries."""
        scan[tid] = value
        cuda.syncthreads()
        step = 1
        while step < threads:
            other = scan[tid - step] if tid >= step else uint32(0)
            cuda.syncthreads()
            scan[tid] += other
            cuda.syncthreads()
            step <<= 1
        before = int32(scan[tid]) - int32(value)
        total = int32(scan[threads - 1])
        cuda.syncthreads()  # the caller may reuse scan
        return before, total

    @cuda.jit(device=True)
    def record_match(records, k, position, length, offset, anchor, long_runs):
        """Record match k, whose literals start at ``anchor``: the new count of long
        literal runs."""
        records[k] = position | (length << 16)
        records[q1 + k] = offset
        if position - anchor > LONG_LITERALS:
            records[q3 + long_runs] = k
            long_runs += 1
        return long_runs

    @cuda.jit(device=True)
    def record_end(records, matches, page_size, anchor, long_runs):
        """Close the records after ``matches`` matches: the final count of long runs."""
        if page_size - anchor > LONG_LITERALS:
            records[q3 + long_runs] = matches
            long_runs += 1
        return long_runs

    @cuda.jit(device=True)
    def sequence_at(records, k, matches, page_size):
        """(match position, match length, offset) of record k; the last has no match."""
        if k == matches:
            return page_size, 0, 0
        record = records[k]
        return int32(record & 0xFFFF), int32(record >> 16), int32(records[q1 + k])

    @cuda.jit(device=True)
    def sequence_end(records, k):
        """Where match k ends: the anchor of sequence k + 1 (0 before the first)."""
        if k < 0:
            return 0
        return int32(records[k] & 0xFFFF) + int32(records[k] >> 16)

    return types.SimpleNamespace(link_chain=link_chain, segment_bounds=segment_bounds,
                                 find_best_matches=find_best_matches, next_match=next_match,
                                 block_exclusive_sum=block_exclusive_sum,
                                 record_match=record_match, record_end=record_end,
                                 sequence_at=sequence_at, sequence_end=sequence_end)
