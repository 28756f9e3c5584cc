"""Device helpers of the block-per-page compress kernels (LZ4's and IAA deflate's).

Both kernels parse a page the same way (``kernels/lz4.py``'s definition): a hash chain
of every position, each position's best match in parallel, then a greedy walk over a
bitmap of the positions that have a match.  What they share lives here:

- ``link_chain``: the chain.  Each position links to the previous position with the
  same 12-bit hash of its 4-byte key, the CPU's kind of chain.  The block hashes every
  position, then warp 0 links them, 32 positions a round: the lanes with the same hash
  find each other with one ``match_any_sync`` and link to the nearest earlier lane of
  their group, a group's first lane to a head table, which it leaves at the group's
  last position.  With ``parallel_chain`` the block links rows of ``CHAIN_ROW``
  positions, a thread each: as warp 0 does within each warp; then a group's first lane
  sets its warp's bit in the hash's byte of a table, and after a barrier links to the
  last lane of the nearest earlier warp with the hash, or to the head table.  Rows
  take 16 dependent steps where warp 0 takes 128, but more instructions and barriers:
  on an H100 (run 14) the LZ4 kernel's chain took 4.75 ms of 2^16 pages by rows
  against 2.75 by warp 0, and an 8-page batch gained some 4 us of its 140.  (A first
  version sorted all positions by key instead; the 78-stage bitonic sort took 43% of
  the LZ4 kernel's time on an H200.)
- ``find_best_matches``: phase 2, every position's best match and a bitmap of the
  positions that have one; by single positions (``lz4.best_match``) or, with
  ``segments``, a stretch of consecutive positions per thread
  (``lz4.segment_best_matches``, one bitmap atomic per word); by default their key
  tests and byte loops read the page four bytes at a time, and positions search
  with ``page_words.best_match`` (``page_words``), with ``tagged_links`` over a chain
  whose entries carry a 4-bit tag of their link's key, which tells most collisions
  from candidates without reading the page.
- ``drop_shorter_matches``: the parse's lazy step, as a filter of phase 2's bitmap.
- ``segment_bounds``: a thread's stretch when the block splits a count (of an odd
  length, ``lz4.segment_stretch``).
- ``walk``: phase 3, the greedy parse by warp 0, a chunk of the page per lane
  (``settle_chunk``), and the records of its sequences.  One thread walked the whole
  page before (17% of the LZ4 kernel's time on an H200, 2^16 pages).
- ``next_match``: the walk's jump to the next position with a match.
- ``block_exclusive_sum`` / ``warp_exclusive_sum``: prefix sums over the threads of a
  block, or the lanes of warp 0.
- ``sequence_at`` / ``sequence_end`` read the walk's records.  Records are four
  quarters of 16-bit entries (8 KiB in all): the position and the length of match k in
  ``records[k]`` and ``records[RECORD_QUARTER + k]``, the third quarter the kernel's
  own (where sequence k's output starts), and from ``records[3 * RECORD_QUARTER]`` on,
  the numbers of the sequences whose literal runs are longer than ``LONG_LITERALS``
  (the whole block handles those).  A match's offset is not recorded: phase 2 left it
  at its position.

Shared memory decides how many pages an SM holds at once, and the serial phases (the
chain, the walk) leave a block's other warps idle, so a kernel keeps only what a phase
needs and lends its buffers out between phases: ``link_chain``'s workspace (a head table
of 16-bit entries, and the rows' bytes: ``chain_workspace``) lives in the buffer of the
best matches, which phase 2 writes afterwards.

The simulator has no warp intrinsics: there a block barrier and a scan of the lanes'
values stand in for ``syncwarp`` and ``match_any_sync`` (all threads take part, as
barriers need), and ``lanes_barrier``, a barrier of the lanes in ``mask``, is a block
barrier (kernels that use it give each group of lanes a block of its own there).
"""

import functools
import types

import numba
import numpy as np
from numba import cuda, int32, int64, uint32, uint64

from gpuacomp.kernels import lz4, page_words
from gpuacomp.kernels.bits import highest_bit, lowest_bit
from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE
from gpuacomp.kernels.retarget import compile_functions

SIMULATOR = bool(numba.config.ENABLE_CUDASIM)
# The chain's hash.  13 bits make warps pay 28% and 20% fewer links on the memory pages
# (bench/lockstep.py) and fit the kernels' buffers (``hash_bits=13``), but the bigger
# head table costs the LZ4 kernel a block an SM at its register cap: on an H100, 19.4
# GB/s against 20.2 with 12 bits (run 11, bench/RESULTS.md).
HASH_BITS = 12
EMPTY = np.uint16(0xFFFF)
NO_MORE = 1 << 30
BITMAP_WORDS = GPU_MAX_PAGE_SIZE // 32
# A page of 4 KiB has fewer than 1024 matches of 4 bytes or more: record quarters of
# 1024 entries hold one field of every sequence, and every field (a position, a
# length, an output byte or bit below 3 + 9 * 4096 + 7) fits in 16 bits.
RECORD_QUARTER = GPU_MAX_PAGE_SIZE // 4
LONG_LITERALS = 32  # literal runs longer than this are handled by the whole block
# Positions the chain links at a time, a thread each: 8 warps, so that which warps of a
# row hold a hash fits a byte.
CHAIN_ROW = 256


def chain_workspace(hash_bits=HASH_BITS):
    """uint16 entries of ``link_chain``'s workspace: the head table, then a byte a hash."""
    return (1 << hash_bits) * 3 // 2


def lane_entries(threads):
    """Entries of the ``lanes`` workspace a kernel gives ``link_chain`` and ``walk``: 32,
    or in the simulator, whose stand-in for ``match_any_sync`` reads every lane's value
    from shared memory, one a thread."""
    return max(32, threads) if SIMULATOR else 32


if SIMULATOR:
    @cuda.jit(device=True)
    def warp_barrier():
        cuda.syncthreads()  # every thread of the block must reach it

    @cuda.jit(device=True)
    def lanes_barrier(mask):
        cuda.syncthreads()  # a block holds one group of lanes there

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
    def lanes_barrier(mask):
        cuda.syncwarp(mask)

    @cuda.jit(device=True)
    def lanes_with_value(value, lane, lane_values):
        # A 32-bit value: numba passes any other integer as 64 bits, and a 64-bit match
        # is two.  (A ballot a bit of the hash instead made the chain 12% slower on an
        # H100, run 11.)
        return cuda.match_any_sync(0xFFFFFFFF, int32(value))


@functools.lru_cache(maxsize=None)
def build(threads, segments=False, word_compare=True, hash_bits=HASH_BITS, tight_links=True,
          parallel_chain=False, tagged_links=False):
    """The helpers for blocks of ``threads`` threads (a power of two >= 32); phase 2 by
    ``segments`` or by single positions (the same results, a different work split);
    bytes compared four at a time (``page_words``: the page must sit in a uint32 buffer
    of ``page_words.BUFFER_WORDS``, viewed as bytes) or one at a time; the chain's hash
    of ``hash_bits`` (its head table holds ``1 << hash_bits`` uint16 entries).  With
    four bytes at a time, ``tight_links`` searches with ``page_words.best_match``, its
    walk over hash collisions a tight loop (False: ``lz4.best_match``); the chain linked
    by warp 0 alone or by rows of positions across the block (``parallel_chain``; a
    block of more than one warp).
    With ``tagged_links`` (and ``page_words.best_match``'s search) each link of the
    chain carries a tag of its key (``page_words.build_best_match``), so that the search
    skips most collisions without reading the page.
    ``link_chain``'s workspace holds ``chain_workspace(hash_bits)`` uint16 entries, and
    ``lanes`` (its and ``walk``'s) ``lane_entries(threads)``."""
    if threads < 32 or threads & (threads - 1):
        raise ValueError(f"threads must be a power of two >= 32 (a whole warp), got {threads}")
    if tagged_links and (segments or not (word_compare and tight_links)):
        raise ValueError("tagged_links needs page_words.best_match's search (word_compare and "
                         "tight_links, without segments)")
    q1, q3 = RECORD_QUARTER, 3 * RECORD_QUARTER
    hash_entries = 1 << hash_bits
    chain_entries = chain_workspace(hash_bits)
    chain_row = min(threads, CHAIN_ROW)
    names = ("_carried_length", "segment_best_matches", "extend_match")
    if word_compare:
        search = compile_functions(lz4, names + ("best_match",), cuda.jit(device=True),
                                   uses=types.SimpleNamespace(
                                       _same_key=page_words.same_key,
                                       _common_length=page_words.common_length))
    else:
        search = compile_functions(lz4, ("_same_key", "_common_length", "best_match") + names,
                                   cuda.jit(device=True))
    if tagged_links:
        best_match = page_words.build_best_match(page_words.tag_shift(hash_bits))
    else:
        best_match = page_words.best_match if word_compare and tight_links else search.best_match
    tag_shift = page_words.tag_shift(hash_bits)
    link_bits = page_words.LINK_BITS
    tag_mask = (1 << page_words.TAG_BITS) - 1
    multiplier = page_words.HASH_MULTIPLIER
    segment_best_matches = search.segment_best_matches
    extend_match = search.extend_match
    stretch_of = cuda.jit(device=True)(lz4.segment_stretch)

    @cuda.jit(device=True)
    def key_product(src, i):
        """The 32-bit product of the multiplicative hash of the 4-byte key at ``i``: the
        chain's hash is its top ``hash_bits``, a tag the bits below."""
        return (uint64(page_words.word_at(src, i)) * uint64(multiplier)) & uint64(0xFFFFFFFF)

    @cuda.jit(device=True)
    def hash_key(src, i):
        return int64(key_product(src, i) >> uint64(32 - hash_bits))

    @cuda.jit(device=True)
    def chain_entry(src, link):
        """What a chain entry holds for ``link`` (>= 0): the link, or with
        ``tagged_links`` the link plus one and the tag of its key."""
        if tagged_links:
            tag = int32(key_product(src, link) >> uint64(tag_shift)) & tag_mask
            return int32(link + 1) | (tag << link_bits)
        return int32(link)

    @cuda.jit(device=True)
    def set_entry(prev, i, entry):
        """``prev[i] = entry`` (an entry from ``chain_entry`` or the head table), or the
        chain's end where ``entry`` is ``EMPTY``."""
        if tagged_links:  # (entries of up to 16 bits: stored unsigned)
            prev.view(np.uint16)[i] = 0 if entry == EMPTY else entry
        else:
            prev[i] = -1 if entry == EMPTY else entry

    @cuda.jit(device=True)
    def hash_positions(src, starts, head, prev, tid):
        """Empty ``head`` and put each position's hash in its link's entry: the rounds
        that link them then read one entry where they would read four bytes."""
        for h in range(tid, hash_entries, threads):
            head[h] = EMPTY
        for i in range(tid, starts, threads):
            prev[i] = hash_key(src, i)
        cuda.syncthreads()

    @cuda.jit(device=True)
    def link_chain_by_warp(src, starts, head, prev, lane_hash, tid):
        """``link_chain`` by warp 0 alone, 32 positions a round."""
        hash_positions(src, starts, head, prev, tid)
        if tid < 32 or SIMULATOR:
            for base in range(0, starts, 32):
                i = base + tid
                active = tid < 32 and i < starts
                h = int32(prev[i]) if active else int32(hash_entries + tid)  # unique filler
                if SIMULATOR:  # its match_any stand-in reads the lanes' values
                    if tid < 32:
                        lane_hash[tid] = h
                    warp_barrier()
                group = lanes_with_value(h, tid, lane_hash)
                if active:
                    lower = uint32(group & ((1 << tid) - 1))
                    if lower != 0:  # the nearest earlier lane
                        set_entry(prev, i, chain_entry(src, base + highest_bit(lower)))
                    else:
                        # The group's first lane links to the table and leaves the
                        # group's last position there: one thread reads and writes.
                        set_entry(prev, i, int32(head[h]))
                        head[h] = chain_entry(src, base + highest_bit(group))
                warp_barrier()
        cuda.syncthreads()

    @cuda.jit(device=True)
    def link_chain_by_rows(src, starts, head, prev, lane_hash, tid):
        """``link_chain`` by rows of ``chain_row`` positions, a position a thread."""
        # A byte a hash: bit w set while warp w of the row holds that hash.
        warps_with = head[hash_entries:chain_entries].view(np.uint32)
        for w in range(tid, hash_entries >> 2, threads):
            warps_with[w] = 0
        hash_positions(src, starts, head, prev, tid)
        warp = tid >> 5
        lane = tid & 31
        in_row = tid < chain_row
        for base in range(0, starts, chain_row):
            i = base + tid
            active = in_row and i < starts
            h = int32(prev[i]) if active else int32(hash_entries + lane)  # unique filler
            if SIMULATOR:  # its match_any stand-in reads the lanes' values
                lane_hash[tid] = h
                warp_barrier()
            group = uint32(0)
            if in_row:
                group = uint32(lanes_with_value(h, lane, lane_hash[warp << 5:]))
            below = uint32((1 << lane) - 1)
            lower = group & below
            word = h >> 2
            shift = uint32((h & 3) << 3)
            if active and lower == 0:  # the first lane of the hash in its warp
                cuda.atomic.or_(warps_with, word, uint32(1 << warp) << shift)
            cuda.syncthreads()
            entry = int32(EMPTY)
            warps = uint32(0)
            if active:
                warps = (warps_with[word] >> shift) & uint32(0xFF)
                earlier = warps & uint32((1 << warp) - 1)
                if lower != 0:  # the nearest earlier lane
                    entry = chain_entry(src, base + (warp << 5) + highest_bit(lower))
                elif earlier != 0:
                    # The last lane of the nearest earlier warp with the hash (all of
                    # that warp's positions are below i, so all hashed).
                    at = base + (highest_bit(earlier) << 5) + 31
                    while int32(prev[at]) != h:
                        at -= 1
                    entry = chain_entry(src, at)
                else:
                    entry = int32(head[h])
            cuda.syncthreads()  # every link of the row is read before any is written
            if active:
                set_entry(prev, i, entry)
                if group & ~(below | uint32(1 << lane)) == 0 and warps >> uint32(warp + 1) == 0:
                    head[h] = chain_entry(src, i)  # the row's last position with the hash
                if lower == 0:
                    warps_with[word] = 0  # (the word's other hashes are done too)
            cuda.syncthreads()

    # (A block of one warp has rows of one warp: their table and barriers would only add.)
    link_chain = link_chain_by_rows if parallel_chain and threads > 32 else link_chain_by_warp

    @cuda.jit(device=True)
    def segment_bounds(count, tid):
        """The positions ``[first, last)`` of thread tid when the block's threads split
        ``count`` positions into stretches of consecutive ones."""
        stretch = stretch_of(count, threads)
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
    def drop_shorter_matches(bits, lengths, count, tid):
        """The parse's lazy step over phase 2's results (the block's threads all call
        it, between barriers): clear the bit of each position below ``count`` whose
        length is shorter than the next position's, so that the greedy walk takes it
        as a literal.  Only the lengths are read, which phase 2 wrote at every position
        below ``count`` (0: no match), so no thread waits for another's bits."""
        for i in range(tid, count - 1, threads):
            length = lengths[i]
            if length > 0 and lengths[i + 1] > length:
                cuda.atomic.and_(bits, i >> 5, ~uint32(1 << (i & 31)))

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
        return (w << 5) + lowest_bit(m)

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
    def sequence_at(records, offsets, k, matches, page_size):
        """(match position, match length, offset) of record k, the offset from phase 2's
        ``offsets``; the last record has no match."""
        if k == matches:
            return page_size, 0, 0
        position = int32(records[k])
        return position, int32(records[q1 + k]), int32(offsets[position])

    @cuda.jit(device=True)
    def sequence_end(records, k):
        """Where match k ends: the anchor of sequence k + 1 (0 before the first)."""
        if k < 0:
            return 0
        return int32(records[k]) + int32(records[q1 + k])

    @cuda.jit(device=True)
    def full_length(src, lengths, offsets, i, extend_cap, starts, end_limit):
        """The length of the match phase 2 chose at ``i``; where it reached
        ``extend_cap`` (0: never), the whole match.  Where phase 2 found that position
        ``q`` matches at the same offset for a whole cap, the match goes on for that cap
        without comparing a byte (runs of zeros and repeated records jump a cap at a
        time); the rest is compared bytewise."""
        length = int32(lengths[i])
        if length != extend_cap:
            return length
        offset = int32(offsets[i])
        q = i + length
        while q < starts and lengths[q] == extend_cap and offsets[q] == offset:
            length += extend_cap
            q = i + length
        return extend_match(src, i, i - offset, length, end_limit)

    @cuda.jit(device=True)
    def on_path(path, t):
        return (path[t >> 5] >> uint32(t & 31)) & 1 != 0

    @cuda.jit(device=True)
    def settle_chunk(src, bits, lengths, offsets, path, lo, hi, entry, leave, used_words,
                     extend_cap, starts, end_limit):
        """Make ``path``'s bits in ``[lo, hi)`` (whole words) the greedy parse's match
        starts when it enters the chunk at ``entry``; return where it leaves.

        The bits there before are a greedy parse that left at ``leave`` (none at
        first), and two greedy parses that reach one position go on alike: the new one
        is walked only up to the first position the old one has, leaving where the old
        one did, and the old one's positions before that go."""
        t = entry
        while t < hi and not on_path(path, t):
            t = next_match(bits, t + full_length(src, lengths, offsets, t, extend_cap,
                                                 starts, end_limit), used_words)
        merge = t
        end = min(merge, hi)
        for w in range(lo >> 5, (end + 31) >> 5):
            if (w + 1) << 5 <= end:
                path[w] = 0
            else:
                path[w] &= ~((uint32(1) << uint32(end & 31)) - uint32(1))
        t = entry
        while t < end:
            path[t >> 5] |= uint32(1) << uint32(t & 31)
            t = next_match(bits, t + full_length(src, lengths, offsets, t, extend_cap,
                                                 starts, end_limit), used_words)
        return leave if merge < hi else merge

    @cuda.jit(device=True)
    def warp_exclusive_sum(value, lanes, tid):
        """``(sum of value over the lanes before tid, sum over warp 0)``: warp 0's lanes
        call it (every thread, in the simulator); ``lanes`` is a workspace of 32.  Each
        lane adds up the 32 values itself: two barriers, where a logarithmic scan takes
        ten (a barrier is cheap on a GPU, but the simulator pays dearly for each)."""
        if tid < 32:
            lanes[tid] = value
        warp_barrier()
        before = 0
        total = 0
        for lane in range(32):
            if lane < tid:
                before += lanes[lane]
            total += lanes[lane]
        warp_barrier()  # the caller may reuse lanes
        return int32(before), int32(total)

    @cuda.jit(device=True)
    def lane_stretch(count, tid):
        """``[first, last)`` of lane tid when warp 0 splits ``count`` in order."""
        stretch = (count + 31) >> 5
        first = min(tid * stretch, count) if tid < 32 else count
        return first, min(first + stretch, count)

    @cuda.jit(device=True)
    def walk(src, bits, lengths, offsets, path, records, lanes, flag, starts, page_size,
             end_limit, extend_cap, tid):
        """Phase 3: the greedy parse over phase 2's matches, by warp 0 (every thread
        calls it in the simulator): ``(matches, long literal runs)``, and the records.

        Each lane walks a chunk of positions from its first match, as if the parse
        entered there; then, while some lane's entry (where the lane before leaves) has
        changed, that lane settles its chunk from the new entry (``settle_chunk``).
        Parses that meet go on alike, so a lane walks again only until the new parse
        meets its old one.  The first chunk is final after one round and each next one
        at most a round later, so the rounds end.  ``path`` (a bitmap like ``bits``)
        ends with the parse's match starts, and the records are written from it."""
        active = tid < 32
        used_words = (max(starts, 0) + 31) >> 5
        lane_words = (used_words + 31) >> 5
        lo = min(tid * lane_words, used_words) << 5 if active else 0
        hi = min(lo + (lane_words << 5), max(starts, 0)) if active else 0
        entry = -1  # none yet: the first round enters each chunk at its first match
        leave = NO_MORE
        if active:
            for w in range(lo >> 5, (hi + 31) >> 5):
                path[w] = 0
        # flag[0]: the last round in which a lane settled its chunk (every lane does in
        # the first), so it needs no reset between rounds.
        round_number = 0
        while True:
            round_number += 1
            new_entry = entry
            if active:
                if entry < 0:
                    new_entry = next_match(bits, lo, used_words)
                elif tid > 0:
                    new_entry = int32(lanes[tid - 1])
            warp_barrier()  # every lane has read its entry before any writes its exit
            if active and new_entry != entry:
                entry = new_entry
                leave = settle_chunk(src, bits, lengths, offsets, path, lo, hi, entry, leave,
                                     used_words, extend_cap, starts, end_limit)
                lanes[tid] = leave
                flag[0] = round_number
            warp_barrier()
            if flag[0] != round_number:
                break

        # The records: match k's position and whole length, in the order of the parse.
        first, last = lane_stretch(used_words, tid)
        count = 0
        for w in range(first, last):
            count += cuda.popc(path[w])
        k, matches = warp_exclusive_sum(count, lanes, tid)
        for w in range(first, last):
            m = path[w]
            while m != 0:
                position = (w << 5) + lowest_bit(m)
                records[k] = position
                records[q1 + k] = full_length(src, lengths, offsets, position, extend_cap,
                                              starts, end_limit)
                k += 1
                m &= m - uint32(1)
        warp_barrier()
        # The long literal runs, numbered in order.
        first, last = lane_stretch(matches + 1, tid)
        count = 0
        for k in range(first, last):
            position = page_size if k == matches else int32(records[k])
            if position - sequence_end(records, k - 1) > LONG_LITERALS:
                count += 1
        r, long_runs = warp_exclusive_sum(count, lanes, tid)
        for k in range(first, last):
            position = page_size if k == matches else int32(records[k])
            if position - sequence_end(records, k - 1) > LONG_LITERALS:
                records[q3 + r] = k
                r += 1
        warp_barrier()
        return matches, long_runs

    return types.SimpleNamespace(link_chain=link_chain, segment_bounds=segment_bounds,
                                 find_best_matches=find_best_matches,
                                 drop_shorter_matches=drop_shorter_matches, walk=walk,
                                 block_exclusive_sum=block_exclusive_sum,
                                 warp_exclusive_sum=warp_exclusive_sum,
                                 lane_stretch=lane_stretch, sequence_at=sequence_at,
                                 sequence_end=sequence_end)
