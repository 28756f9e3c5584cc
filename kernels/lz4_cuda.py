"""CUDA kernels for batches of LZ4 pages: one launch per batch, one thread block per page.

Compression produces the parse of ``kernels/lz4.py`` with the block's threads sharing
the work, in four phases separated by barriers:

1. **Chain.**  Warp 0 walks the page 32 positions at a time, in order: lanes with the
   same 12-bit hash of their 4-byte key find each other with one ``match_any_sync``, link
   to the nearest earlier lane of their group, and the group's first lane links to (and
   updates) a shared head table.  The result is the CPU's kind of chain: each position
   links to the previous position with the same hash.  (A first version sorted all
   positions by key instead, an exact chain; the 78-stage bitonic sort took 43% of the
   kernel's time on an H200.)
2. **Best matches.**  Every position chooses its candidate in parallel with the shared
   ``best_match`` (lengths compared up to ``SELECT_CAP``, as the parse defines); positions
   with a match set a bit in a shared bitmap.
3. **Walk.**  One thread follows the greedy parse, jumping over literal runs with the
   bitmap and extending the matches that reached the cap (a cap at a time where phase 2
   already saw the same offset match further on).  It records each sequence and its
   output position (the sum of the ``sequence_size`` before it).
4. **Emit.**  Threads write the sequences in parallel with the shared ``write_sequence``;
   long literal runs are copied by the whole block.

Phases 2 and 3 together choose exactly what ``encode_page`` chooses: both call
``best_match`` with the same cap on a hash chain (``best_match`` skips links whose key
differs, so the table size does not matter), then extend the chosen match to its end.

Decompression gives each page to one thread running the shared ``decode_block``.  (A
warp per page, one thread parsing and the warp copying, measured slower on an H200:
34 against 48 GB/s; see bench/RESULTS.md.)

Kernels are compiled on first use by ``build(threads)``.  ``compress_pages`` takes
``last_phase`` (4 for real work): timing runs that stop after phase 1, 2 or 3 show where
a batch spends its time without a profiler.
"""

import functools

import numba
import numpy as np
from numba import cuda, int16, int32, int64, uint8, uint16, uint32, uint64

from gpuacomp.kernels import lz4 as codec
from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE
from gpuacomp.kernels.retarget import compile_functions

LONG_LITERALS = 32  # literal runs longer than this are copied by the whole block
HASH_BITS = 12
HASH_ENTRIES = 1 << HASH_BITS  # the head table fills the record buffer
EMPTY = np.uint32(0xFFFFFFFF)
SIMULATOR = bool(numba.config.ENABLE_CUDASIM)
NO_MORE = 1 << 30
# One uint32 buffer holds the chain's head table in phase 1, then the walk's records
# in four quarters.
RECORD_QUARTER = GPU_MAX_PAGE_SIZE // 4
DECODE_THREADS = 128  # threads per block of decompress_pages, one page each


@functools.lru_cache(maxsize=None)
def build(threads=256, max_registers=None):
    """Compile the kernels: ``threads`` per block to compress a page (a power of two >= 32),
    with at most ``max_registers`` per thread (None: the compiler's choice).

    These change only the work split and occupancy, never the bytes.
    """
    if threads < 32 or threads & (threads - 1):
        raise ValueError(f"threads must be a power of two >= 32 (a whole warp), got {threads}")
    lz4 = compile_functions(codec, codec.CODEC_FUNCTIONS, cuda.jit(device=True))
    # (the CUDA simulator's jit takes no max_registers)
    register_limit = {} if max_registers is None else {"max_registers": max_registers}
    best_match = lz4.best_match
    extend_match = lz4.extend_match
    sequence_size = lz4.sequence_size
    write_sequence = lz4.write_sequence
    length_field_size = lz4._length_field_size
    decode_block = lz4.decode_block
    page_capacity = GPU_MAX_PAGE_SIZE
    words = GPU_MAX_PAGE_SIZE // 32
    start_margin = codec.MATCH_START_MARGIN
    last_literals = codec.LAST_LITERALS
    e2big = codec.E2BIG
    select_cap = codec.SELECT_CAP
    q1, q2, q3 = RECORD_QUARTER, 2 * RECORD_QUARTER, 3 * RECORD_QUARTER

    if SIMULATOR:
        # The simulator has no warp intrinsics: a block barrier and a scan of the lanes'
        # values give the same results (all threads take part, as barriers need).
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
    def extend_long(src, short_length, short_offset, i, offset, starts, end_limit):
        """Full length of the match chosen at ``i``, which reached the select cap.

        Where phase 2 found that position ``q`` matches at the same offset for a whole
        cap, the match goes on for that cap without comparing a byte (runs of zeros and
        repeated records jump a cap at a time); the rest is compared bytewise.
        """
        length = select_cap
        q = i + length
        while q < starts and short_length[q] == select_cap and short_offset[q] == offset:
            length += select_cap
            q = i + length
        return extend_match(src, i, i - offset, length, end_limit)

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

    @cuda.jit(**register_limit)
    def compress_pages(pages, page_size, out, slot, lengths, max_candidates, last_phase):
        p = cuda.blockIdx.x
        page = pages[p]
        dst = out[p * slot:(p + 1) * slot]
        tid = cuda.threadIdx.x
        src = cuda.shared.array(page_capacity, uint8)
        records = cuda.shared.array(page_capacity, uint32)
        prev = cuda.shared.array(page_capacity, int16)
        short_length = cuda.shared.array(page_capacity, uint8)
        short_offset = cuda.shared.array(page_capacity, uint16)
        bits = cuda.shared.array(words, uint32)
        walk = cuda.shared.array(4, int32)  # result, matches, long literal runs
        lane_hash = cuda.shared.array(32, int64)

        for i in range(tid, page_size, threads):
            src[i] = page[i]
        for w in range(tid, words, threads):
            bits[w] = 0
        cuda.syncthreads()

        starts = page_size - start_margin
        end_limit = page_size - last_literals
        if starts > 1:
            # Phase 1: the hash chain, built by warp 0 a warp-width of positions at a
            # time, in order; the head table lives in the record buffer until phase 3.
            for h in range(tid, HASH_ENTRIES, threads):
                records[h] = EMPTY
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
                            last = records[h]
                            prev[i] = -1 if last == EMPTY else int32(last)
                            records[h] = base + 31 - cuda.clz(uint32(group))
                    warp_barrier()
            cuda.syncthreads()
            # Phase 2: every position's best match, measured up to the cap.
            for i in range(tid, starts if last_phase >= 2 else 0, threads):
                length, offset = best_match(src, i, prev, end_limit, max_candidates, select_cap,
                                            page_capacity)
                short_length[i] = length
                short_offset[i] = offset
                if length > 0:
                    cuda.atomic.or_(bits, i >> 5, uint32(1 << (i & 31)))
            cuda.syncthreads()

        # Phase 3: the greedy walk; the head table's buffer now takes the records
        # (match position and length | offset | output position | long literal runs).
        if tid == 0 and last_phase >= 3:
            used_words = (max(starts, 0) + 31) >> 5
            i = 0
            anchor = 0
            op = 0
            matches = 0
            long_runs = 0
            while True:
                i = next_match(bits, i, used_words)
                if i >= starts:
                    break
                length = int32(short_length[i])
                offset = int32(short_offset[i])
                if length == select_cap:
                    length = extend_long(src, short_length, short_offset, i, offset, starts,
                                         end_limit)
                records[matches] = i | (length << 16)
                records[q1 + matches] = offset
                records[q2 + matches] = op
                if i - anchor > LONG_LITERALS:
                    records[q3 + long_runs] = matches
                    long_runs += 1
                op += sequence_size(i - anchor, length)
                matches += 1
                i += length
                anchor = i
            records[q2 + matches] = op
            if page_size - anchor > LONG_LITERALS:
                records[q3 + long_runs] = matches
                long_runs += 1
            op += sequence_size(page_size - anchor, 0)
            walk[0] = op if op <= slot else -e2big
            walk[1] = matches
            walk[2] = long_runs
        cuda.syncthreads()

        # Phase 4: write the sequences in parallel, then the long literal runs.
        result = walk[0] if last_phase >= 4 else -1
        matches = walk[1]
        if result >= 0:
            for k in range(tid, matches + 1, threads):
                position, length, offset = sequence_at(records, k, matches, page_size)
                anchor = sequence_end(records, k - 1)
                literal_count = position - anchor
                write_sequence(src, anchor, literal_count, offset, length, dst,
                               int32(records[q2 + k]), literal_count <= LONG_LITERALS)
            for r in range(walk[2]):
                k = int32(records[q3 + r])
                position, length, offset = sequence_at(records, k, matches, page_size)
                anchor = sequence_end(records, k - 1)
                literal_count = position - anchor
                first = int32(records[q2 + k]) + 1 + length_field_size(literal_count)
                for b in range(tid, literal_count, threads):
                    dst[first + b] = src[anchor + b]
        if tid == 0:
            lengths[p] = result

    @cuda.jit
    def decompress_pages(data, offsets, lengths, out, produced):
        p = cuda.grid(1)
        if p < out.shape[0]:
            block = data[offsets[p]:offsets[p] + lengths[p]]
            produced[p] = decode_block(block, block.shape[0], out[p], out.shape[1])

    return compress_pages, decompress_pages
