"""CUDA kernels for batches of LZ4 pages: one launch per batch, one thread block per page.

Compression produces the parse of ``kernels/lz4.py`` with the block's threads sharing
the work, in four phases separated by barriers:

1. **Chain.**  Warp 0 links every position to the previous one with the same hash
   (``cuda_block.link_chain``); the head table lives in the record buffer until phase 3.
2. **Best matches.**  Every position chooses its candidate in parallel with the shared
   ``best_match`` (lengths compared up to ``SELECT_CAP``, as the parse defines); positions
   with a match set a bit in a shared bitmap.  With ``segments`` each thread takes a
   stretch of consecutive positions instead and runs ``segment_best_matches`` over it,
   which gets the same results from far fewer byte comparisons.
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

from numba import cuda, int16, int32, int64, uint8, uint16, uint32

from gpuacomp.kernels import cuda_block
from gpuacomp.kernels import lz4 as codec
from gpuacomp.kernels.cuda_block import BITMAP_WORDS, LONG_LITERALS, RECORD_QUARTER
from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE
from gpuacomp.kernels.retarget import compile_functions

DECODE_THREADS = 128  # threads per block of decompress_pages, one page each


@functools.lru_cache(maxsize=None)
def build(threads=256, max_registers=None, segments=False):
    """Compile the kernels: ``threads`` per block to compress a page (a power of two >= 32),
    with at most ``max_registers`` per thread (None: the compiler's choice); phase 2 by
    ``segments`` (a stretch of consecutive positions per thread, carrying lengths from
    one position to the one before) or by single positions.

    These change only the work split and occupancy, never the bytes.
    """
    block = cuda_block.build(threads, segments)  # checks threads
    link_chain = block.link_chain
    find_best_matches = block.find_best_matches
    next_match = block.next_match
    record_match = block.record_match
    record_end = block.record_end
    sequence_at = block.sequence_at
    sequence_end = block.sequence_end
    lz4 = compile_functions(codec, codec.CODEC_FUNCTIONS, cuda.jit(device=True))
    # (the CUDA simulator's jit takes no max_registers)
    register_limit = {} if max_registers is None else {"max_registers": max_registers}
    extend_match = lz4.extend_match
    sequence_size = lz4.sequence_size
    write_sequence = lz4.write_sequence
    length_field_size = lz4._length_field_size
    decode_block = lz4.decode_block
    page_capacity = GPU_MAX_PAGE_SIZE
    words = BITMAP_WORDS
    start_margin = codec.MATCH_START_MARGIN
    last_literals = codec.LAST_LITERALS
    e2big = codec.E2BIG
    select_cap = codec.SELECT_CAP
    q2, q3 = 2 * RECORD_QUARTER, 3 * RECORD_QUARTER

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

    @cuda.jit(**register_limit)
    def compress_pages(pages, page_size, out, slot, lengths, max_candidates, last_phase):
        p = cuda.blockIdx.x
        page = pages[p]
        dst = out[p * slot:(p + 1) * slot]
        tid = cuda.threadIdx.x
        src = cuda.shared.array(page_capacity, uint8)
        # The chain's head table in phase 1, then the walk's records in four quarters.
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
            # Phase 1: the hash chain; the head table lives in the record buffer
            # until phase 3.
            link_chain(src, starts, records, prev, lane_hash, tid)
            # Phase 2: every position's best match, measured up to the cap.
            find_best_matches(src, starts if last_phase >= 2 else 0, prev, end_limit,
                              max_candidates, select_cap, page_capacity, short_length,
                              short_offset, bits, tid)
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
                long_runs = record_match(records, matches, i, length, offset, anchor,
                                         long_runs)
                records[q2 + matches] = op
                op += sequence_size(i - anchor, length)
                matches += 1
                i += length
                anchor = i
            records[q2 + matches] = op
            long_runs = record_end(records, matches, page_size, anchor, long_runs)
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
