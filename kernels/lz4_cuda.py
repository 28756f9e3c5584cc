"""CUDA kernels for batches of LZ4 pages: one launch per batch, one thread block per page.

Compression produces the parse of ``kernels/lz4.py`` with the block's threads sharing
the work, in four phases separated by barriers:

1. **Chain.**  Warp 0 links every position to the previous one with the same hash, 32
   positions a round (``cuda_block.link_chain``; with ``parallel_chain`` the whole
   block, a row of 256 positions at a time); its workspace lives in the buffer of the
   best matches, which phase 2 fills.
2. **Best matches.**  Every position chooses its candidate in parallel, as
   ``lz4.best_match`` does (lengths compared up to ``SELECT_CAP``, as the parse
   defines; by default ``page_words.best_match``: four bytes at a time, and a tight
   walk over hash collisions); positions with a match set a bit in a shared bitmap.
   With ``segments`` each thread takes a stretch of consecutive positions instead and
   runs ``segment_best_matches`` over it, which gets the same results from far fewer
   byte comparisons.
   With ``lazy`` the block then clears the bits of the positions that the parse's
   lazy step makes literals (``cuda_block.drop_shorter_matches``).
3. **Walk.**  Warp 0 follows the greedy parse (``cuda_block.walk``: each lane a chunk
   of the page, settling it again while its entry changes), jumping over literal runs
   with the bitmap and extending the matches that reached the cap (a cap at a time
   where phase 2 already saw the same offset match further on).  It records each
   sequence where the chain was, and its output position (a warp prefix sum of the
   ``sequence_size``).
4. **Emit.**  Threads write the sequences in parallel with the shared ``write_sequence``;
   long literal runs are copied by the whole block.

Phases 2 and 3 together choose exactly what ``encode_page`` chooses: both search as
``best_match`` does with the same cap on a hash chain (``best_match`` skips links whose
key differs, so the table size does not matter), then extend the chosen match to its
end.

Decompression gives each page to one thread running the shared ``decode_block``.
``build_warp_decoder`` gives a page to lanes of a warp: a whole warp decoding into
shared memory ran at 43.7 GB/s on an H200 against the thread per page's 50.0 (run 12,
bench/RESULTS.md; its copy loops have taken unsigned indices since, not yet timed);
fewer lanes a page, writing to global memory, are not timed yet.

Kernels are compiled on first use by ``build(threads)``.  ``compress_pages`` takes
``last_phase`` (4 for real work): timing runs that stop after phase 1, 2 or 3 show where
a batch spends its time without a profiler.
"""

import functools
import types

import numpy as np
from numba import cuda, int16, int32, int64, uint8, uint16, uint32

from gpuacomp.kernels import cuda_block, page_words
from gpuacomp.kernels import lz4 as codec
from gpuacomp.kernels.cuda_block import BITMAP_WORDS, LONG_LITERALS, RECORD_QUARTER
from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE
from gpuacomp.kernels.retarget import compile_functions

DECODE_THREADS = 128  # threads per block of decompress_pages, one page each
DECODE_WARPS = 4  # warps per block of the warp decoder
# The GPU backend's decoder (``build_warp_decoder`` options): 8 lanes a page, four pages
# a warp, decoding into global memory.  On an H100 (run 14) its kernel decoded 2^16 and
# 2^18 corpus pages at 126 and 149 GB/s, against 46 and 49 for a thread per page, 57-74
# for a warp per page, and 104 for nvCOMP's LZ4 at 4 KiB chunks.
DECODER = types.MappingProxyType(dict(lanes=8, shared_output=False, stage_input=False))
STATIC_SHARED_LIMIT = 48 * 1024  # shared memory a kernel may declare (CUDA's limit)
# The compress kernel's register cap: at 32 (a few bytes spilled) 8 blocks of 256
# threads share an SM where the compiler's 48 let 5, and the serial phases (chain,
# walk) of some blocks hide behind the others' parallel ones: 20.2 GB/s against 17.0
# on an H100 (bench/RESULTS.md, run 11).
COMPRESS_REGISTERS = 32


@functools.lru_cache(maxsize=None)
def build(threads=256, max_registers=COMPRESS_REGISTERS, segments=False, word_compare=True,
          hash_bits=cuda_block.HASH_BITS, tight_links=True, parallel_chain=False,
          tagged_links=False):
    """Compile the kernels: ``threads`` per block to compress a page (a power of two >= 32),
    with at most ``max_registers`` per thread (None: the compiler's choice); phase 2 by
    ``segments`` (a stretch of consecutive positions per thread, carrying lengths from
    one position to the one before) or by single positions; bytes compared four at a
    time (``word_compare``, ``kernels/page_words.py``) or one at a time; the chain's
    hash of ``hash_bits``; the search of ``page_words.best_match`` (``tight_links``,
    with four bytes at a time) or of ``lz4.best_match``; the chain linked by the whole
    block (``parallel_chain``) or by warp 0 (``cuda_block.link_chain``); its links
    tagged with their keys' hash (``tagged_links``, ``cuda_block.build``).

    These change only the work split, the instructions and occupancy, never the bytes.
    """
    block = cuda_block.build(threads, segments, word_compare, hash_bits,  # checks threads
                             tight_links, parallel_chain, tagged_links)
    link_chain = block.link_chain
    find_best_matches = block.find_best_matches
    drop_shorter_matches = block.drop_shorter_matches
    walk = block.walk
    warp_exclusive_sum = block.warp_exclusive_sum
    lane_stretch = block.lane_stretch
    sequence_at = block.sequence_at
    sequence_end = block.sequence_end
    lz4 = compile_functions(codec, codec.CODEC_FUNCTIONS, cuda.jit(device=True))
    # (the CUDA simulator's jit takes no max_registers)
    simulator = cuda_block.SIMULATOR
    register_limit = {} if max_registers is None or simulator else {
        "max_registers": max_registers}
    sequence_size = lz4.sequence_size
    write_sequence = lz4.write_sequence
    length_field_size = lz4._length_field_size
    decode_block = lz4.decode_block
    page_capacity = GPU_MAX_PAGE_SIZE
    page_buffer_words = page_words.BUFFER_WORDS
    # the chain's workspace, or a uint16 offset and a uint8 length a position
    best_entries = max(cuda_block.chain_workspace(hash_bits), page_capacity * 3 // 2)
    lane_entries = cuda_block.lane_entries(threads)
    words = BITMAP_WORDS
    start_margin = codec.MATCH_START_MARGIN
    last_literals = codec.LAST_LITERALS
    e2big = codec.E2BIG
    select_cap = codec.SELECT_CAP
    q2, q3 = 2 * RECORD_QUARTER, 3 * RECORD_QUARTER

    @cuda.jit(device=True)
    def sequence_bytes(records, offsets, k, matches, page_size):
        position, length, _ = sequence_at(records, offsets, k, matches, page_size)
        return sequence_size(position - sequence_end(records, k - 1), length)

    @cuda.jit(**register_limit)
    def compress_pages(pages, page_size, out, slot, lengths, max_candidates, lazy,
                       last_phase):
        p = cuda.blockIdx.x
        page = pages[p]
        dst = out[p * slot:(p + 1) * slot]
        tid = cuda.threadIdx.x
        # 26 KB in all (38 KB with a 13-bit chain), so that more pages share an SM.
        src = cuda.shared.array(page_buffer_words, uint32).view(np.uint8)
        # The chain in phases 1 and 2, then the walk's records (cuda_block's layout).
        prev = cuda.shared.array(page_capacity, int16)
        records = prev.view(np.uint16)
        # The chain's workspace in phase 1, then each position's best offset and length.
        best = cuda.shared.array(best_entries, uint16)
        short_offset = best[:page_capacity]
        short_length = best[page_capacity:page_capacity + page_capacity // 2].view(np.uint8)
        bits = cuda.shared.array(words, uint32)
        path = cuda.shared.array(words, uint32)
        walk_state = cuda.shared.array(4, int32)  # result, matches, long runs, walk's flag
        lanes = cuda.shared.array(lane_entries, int64)

        for i in range(tid, page_size, threads):
            src[i] = page[i]
        for w in range(tid, words, threads):
            bits[w] = 0
        cuda.syncthreads()

        starts = page_size - start_margin
        end_limit = page_size - last_literals
        if starts > 1:
            # Phase 1: the hash chain.
            link_chain(src, starts, best, prev, lanes, tid)
            # Phase 2: every position's best match, measured up to the cap.
            searched = starts if last_phase >= 2 else 0
            find_best_matches(src, searched, prev, end_limit, max_candidates, select_cap,
                              page_capacity, short_length, short_offset, bits, tid)
            cuda.syncthreads()
            if lazy:  # (the same for the whole block: its barrier is reached by all)
                drop_shorter_matches(bits, short_length, searched, tid)
                cuda.syncthreads()

        # Phase 3: the greedy walk records the sequences where the chain was, then
        # each sequence's output position (the sum of the sizes before it).
        if last_phase >= 3 and (tid < 32 or simulator):
            matches, long_runs = walk(src, bits, short_length, short_offset, path, records,
                                      lanes, walk_state[3:], starts, page_size, end_limit,
                                      select_cap, tid)
            first, last = lane_stretch(matches + 1, tid)
            size = 0
            for k in range(first, last):
                size += sequence_bytes(records, short_offset, k, matches, page_size)
            op, total = warp_exclusive_sum(size, lanes, tid)
            for k in range(first, last):
                records[q2 + k] = op
                op += sequence_bytes(records, short_offset, k, matches, page_size)
            if tid == 0:
                walk_state[0] = total if total <= slot else -e2big
                walk_state[1] = matches
                walk_state[2] = long_runs
        cuda.syncthreads()

        # Phase 4: write the sequences in parallel, then the long literal runs.
        result = walk_state[0] if last_phase >= 4 else -1
        matches = walk_state[1]
        if result >= 0:
            for k in range(tid, matches + 1, threads):
                position, length, offset = sequence_at(records, short_offset, k, matches,
                                                       page_size)
                anchor = sequence_end(records, k - 1)
                literal_count = position - anchor
                write_sequence(src, anchor, literal_count, offset, length, dst,
                               int32(records[q2 + k]), literal_count <= LONG_LITERALS)
            for r in range(walk_state[2]):
                k = int32(records[q3 + r])
                position, length, _ = sequence_at(records, short_offset, k, matches,
                                                  page_size)
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


@functools.lru_cache(maxsize=None)
def build_warp_decoder(warps=DECODE_WARPS, lean=True, stage_input=True, max_registers=None,
                       lanes=32, shared_output=True):
    """``(kernel, pages_per_block, threads_per_block)``: a decompress kernel with the
    arguments of ``decompress_pages`` that gives each page ``lanes`` lanes of a warp
    (32, 16, 8 or 4; or 1, a thread per page as ``decompress_pages``, but with the
    options below), ``warps`` warps a block (launch ``[ceil(n / pages_per_block),
    threads_per_block]``).

    The thread-per-page decoder writes every byte to global memory on its own: a warp's
    store touches 32 pages, 32 sectors.  Here a page's lanes parse each sequence alike
    (the same bytes, so they stay in step) and copy it together, ``lanes`` consecutive
    bytes a step.  With ``shared_output`` a page is decoded into shared memory, then
    written out; without it, into its row of ``out`` directly, so that shared memory
    does not bound the pages in flight.  A page has some 200-300 sequences of a few
    literals and a match of 8-17 bytes (the memory corpus), so a lane copies a byte or
    two of each and the time goes into parsing them: a warp per page runs each parse
    for one page, 8 lanes a page for four.  ``lean`` reads the sequences with
    ``lz4.next_sequence`` (a short path for the sequences of liblz4's fast loop) rather
    than ``parse_sequence`` alone, and ``stage_input`` copies a block into shared
    memory first (blocks longer than ``compress_bound`` of the capacity, which liblz4
    would not make, are read where they are).  Either way the checks are
    ``parse_sequence``'s, so the results are ``decode_block``'s.  (The simulator's
    stand-in for a barrier of lanes holds the whole block: one page a block there.)
    ``max_registers`` caps the kernel's registers (None: the compiler's choice).
    """
    if lanes not in (1, 4, 8, 16, 32):
        raise ValueError(f"lanes must be 1, 4, 8, 16 or 32 (lanes of a warp a page), got "
                         f"{lanes}")
    lz4 = compile_functions(codec, codec.CODEC_FUNCTIONS, cuda.jit(device=True))
    register_limit = {} if max_registers is None or cuda_block.SIMULATOR else {
        "max_registers": max_registers}
    read_sequence = lz4.next_sequence if lean else lz4.parse_sequence
    lanes_barrier = cuda_block.lanes_barrier
    pages_per_block = warps * 32 // lanes
    lane_bits = lanes.bit_length() - 1
    group_lanes = (1 << lanes) - 1  # a page's lanes, from lane 0
    page_capacity = GPU_MAX_PAGE_SIZE
    decoded_shape = (pages_per_block, page_capacity) if shared_output else (1, 4)
    staged_capacity = (codec.compress_bound(page_capacity) + 3) // 4 * 4 if stage_input else 4
    shared_bytes = decoded_shape[0] * decoded_shape[1] + pages_per_block * staged_capacity
    if shared_bytes > STATIC_SHARED_LIMIT:
        raise ValueError(f"{pages_per_block} pages a block ({warps} warps of {lanes} lanes a "
                         f"page) need {shared_bytes} bytes of shared memory, over the "
                         f"{STATIC_SHARED_LIMIT} a kernel may declare: fewer warps, or no "
                         "shared_output or stage_input")
    if cuda_block.SIMULATOR:
        pages_per_block = 1
        decoded_shape = (1, decoded_shape[1])
    einval = codec.EINVAL
    fast_room = codec.FAST_ROOM
    final = codec.SEQUENCE_FINAL

    @cuda.jit(device=True)
    def copy_by_lanes(dst, at, src, start, count, lane):
        # Unsigned indices: numba tests signed ones for wraparound at every access, and
        # unrolls the loop around it; this one stays a few instructions a step.
        k = uint32(lane)
        while k < uint32(count):
            dst[uint32(at) + k] = src[uint32(start) + k]
            k += uint32(lanes)

    @cuda.jit(device=True)
    def decode_block_by_lanes(src, slen, dst, cap, lane, mask):
        if cap == 0 and slen == 1 and src[0] != 0:
            return -einval  # as decode_block
        ip = 0
        op = 0
        fast = cap >= fast_room
        while True:
            kind, ip, literal_start, literal_count, offset, match_length, fast = (
                read_sequence(src, slen, ip, op, cap, fast))
            if kind < 0:
                return kind
            copy_by_lanes(dst, op, src, literal_start, literal_count, lane)
            op += literal_count
            if kind == final:
                return op
            lanes_barrier(mask)  # the match may copy the literals (and matches) just written
            if offset >= match_length or lanes == 1:  # (one lane copies in order)
                copy_by_lanes(dst, op, dst, op - offset, match_length, lane)
            else:  # an overlapping match repeats its first offset bytes
                start = uint32(op - offset)
                k = uint32(lane)
                while k < uint32(match_length):
                    dst[uint32(op) + k] = dst[start + k % uint32(offset)]
                    k += uint32(lanes)
            op += match_length

    @cuda.jit(**register_limit)
    def decompress_pages_by_lanes(data, offsets, lengths, out, produced):
        group = cuda.threadIdx.x >> lane_bits  # the block's page
        lane = cuda.threadIdx.x & (lanes - 1)
        mask = uint32(group_lanes << ((cuda.threadIdx.x & 31) & ~(lanes - 1)))
        p = cuda.blockIdx.x * pages_per_block + group
        decoded_pages = cuda.shared.array(decoded_shape, uint8)
        staged_blocks = cuda.shared.array((pages_per_block, staged_capacity), uint8)
        if p < out.shape[0]:
            block = data[offsets[p]:offsets[p] + lengths[p]]
            decoded = decoded_pages[group] if shared_output else out[p]
            slen = block.shape[0]
            if stage_input and slen <= staged_capacity:
                staged = staged_blocks[group]
                copy_by_lanes(staged, 0, block, 0, slen, lane)
                lanes_barrier(mask)
                result = decode_block_by_lanes(staged, slen, decoded, out.shape[1], lane, mask)
            else:
                result = decode_block_by_lanes(block, slen, decoded, out.shape[1], lane, mask)
            if shared_output:
                lanes_barrier(mask)
                copy_by_lanes(out[p], 0, decoded, 0, max(result, 0), lane)
            if lane == 0:
                produced[p] = result

    return decompress_pages_by_lanes, pages_per_block, pages_per_block * lanes
