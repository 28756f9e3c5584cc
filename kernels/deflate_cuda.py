"""CUDA kernels for batches of raw DEFLATE pages: one launch per batch.

``deflate_block_pages`` (``build_block``) writes IAA's format, fixed or dynamic codes,
with a block of threads per page.  The parse of ``kernels/deflate_encode.py`` is found
as the LZ4 kernel finds its own (``kernels/lz4_cuda.py``, helpers in
``kernels/cuda_block.py``), then the codes are written in parallel:

1. **Chain** of every position with a 4-byte key (warp 0).
2. **Best matches**: every position's ``best_match`` (up to 258 bytes, 4 KiB back) in
   parallel (or a stretch of positions per thread with ``segment_best_matches``), and a
   bitmap of the positions that have one.
   With ``lazy``, the positions the parse's lazy step makes literals lose their bits
   (``cuda_block.drop_shorter_matches``).
3. **Walk**: warp 0 follows the greedy parse over the bitmap (``cuda_block.walk``) and
   records each sequence (literals, then a match).
4. **Codes and bits**: in the dynamic mode the block counts the symbols (shared
   atomics) and one thread builds the codes and chooses the block with the CPU's own
   ``plan_block``; it writes the block header with ``write_block_header``.  Then two
   prefix sums give every literal's and every sequence's first bit, and the threads
   write the codes at their bits in parallel (OR into 32-bit words in shared memory:
   neighbours share words), long literal runs with the whole block.  The words go out
   as bytes.

``deflate_pages`` (``build``) runs the whole encoder with one thread per page, each
keeping its workspace in local memory.  On an H100 it writes dynamic codes five times
faster than the block kernel (4.3 against 0.8 GB/s, bench/RESULTS.md): building a
page's codes is serial, and 65536 threads each building their own hide its latency
where one thread of each block cannot; the fixed codes go faster by block.
``inflate_pages`` runs the decoder of ``kernels/deflate.py`` with a thread per page; its
block copies the fixed codes' tables into shared memory first.
All run the CPU's functions, so the bytes are the CPU's.
"""

import functools

import numpy as np
from numba import cuda, int16, int32, int64, uint8, uint16, uint32

from gpuacomp.kernels import cuda_block, page_words
from gpuacomp.kernels import deflate as decoder
from gpuacomp.kernels import deflate_encode as encoder
from gpuacomp.kernels import lz4
from gpuacomp.kernels.cuda_block import BITMAP_WORDS, LONG_LITERALS, RECORD_QUARTER
from gpuacomp.kernels.deflate_encode import (DIST_SYMBOLS, DYNAMIC, DYNAMIC_BLOCK,
                                             END_OF_BLOCK, FIXED_BLOCK, FIXED_DIST_CODES,
                                             FIXED_DIST_LENGTHS, FIXED_LIT_CODES,
                                             FIXED_LIT_LENGTHS, LENGTH_SYMBOL,
                                             LITLEN_SYMBOLS, MAX_MATCH, STORED_BLOCK, WINDOW)
from gpuacomp.kernels.lz4 import E2BIG, GPU_MAX_PAGE_SIZE
from gpuacomp.kernels.retarget import compile_functions

THREADS = 64  # threads per block of the thread-per-page kernels
HASH_LOG = 10  # a smaller table than the CPU's: collisions cost time, never bytes
MAX_RECORDS = GPU_MAX_PAGE_SIZE // encoder.MIN_MATCH + 1
BLOCK_THREADS = 256  # threads per page of deflate_block_pages
# The chosen block is never longer than the fixed one, which is at most 3 + 9 bits a
# byte + 7 bits: matches of 4 or more bytes take fewer bits than their literals.
OUT_WORDS = (3 + 9 * GPU_MAX_PAGE_SIZE + 7 + 31) // 32
# Records (cuda_block's layout, the third quarter the sequences' first bits): their
# last quarter needs only the long literal runs, at most 4096 / 33.
LONG_RUNS = 128
RECORDS = 3 * RECORD_QUARTER + LONG_RUNS
DIST_ROW = 320  # the distance symbols' counts follow the literal/length ones in `best`
CODES = 288  # literal/length codes held in shared memory (286 used, as the fixed code's)
STORED_HEADER = 5  # bytes before a stored block's data


@functools.lru_cache(maxsize=None)
def device_functions():
    """The encoder's functions (and the LZ4 ones they call) as CUDA device functions."""
    device = cuda.jit(device=True)
    shared_lz4 = compile_functions(lz4, encoder.USES + ("link_positions",), device)
    encode = compile_functions(encoder, encoder.CODEC_FUNCTIONS, device, uses=shared_lz4)
    return shared_lz4, encode


@functools.lru_cache(maxsize=None)
def build_block(mode, threads=BLOCK_THREADS, segments=False, word_compare=True):
    """``deflate_block_pages(pages, page_size, out, slot, lengths, max_candidates, lazy,
    last_phase)`` for ``mode`` (FIXED or DYNAMIC: a kernel each, so the fixed one
    carries nothing of the dynamic codes), launched as ``[n, threads]`` (a power of two
    >= 32): page ``p`` into ``out[p * slot:(p + 1) * slot]``, its length or -E2BIG into
    ``lengths[p]``.  ``segments``: phase 2 by stretches of positions, and
    ``word_compare``: bytes compared four at a time, as in ``lz4_cuda.build``.

    The thread count, ``segments`` and ``word_compare`` never change the bytes.
    ``last_phase`` is 4 for real work: timing runs that stop after phase 1, 2 or 3 show
    where a batch spends its time.
    """
    if cuda_block.chain_workspace() > 2 * GPU_MAX_PAGE_SIZE:
        raise ValueError("the chain's workspace must fit the best matches' buffer")
    block = cuda_block.build(threads, segments, word_compare)
    _, encode = device_functions()
    match_field = encode.match_field
    distance_code = encode.distance_code
    plan_block = encode.plan_block
    write_block_header = encode.write_block_header
    link_chain = block.link_chain
    segment_bounds = block.segment_bounds
    find_best_matches = block.find_best_matches
    drop_shorter_matches = block.drop_shorter_matches
    walk = block.walk
    simulator = cuda_block.SIMULATOR
    block_exclusive_sum = block.block_exclusive_sum
    sequence_at = block.sequence_at
    sequence_end = block.sequence_end
    page_capacity = GPU_MAX_PAGE_SIZE
    page_buffer_words = page_words.BUFFER_WORDS
    key_margin = encoder.MIN_MATCH - 1
    q2, q3 = 2 * RECORD_QUARTER, 3 * RECORD_QUARTER
    table_shape = (encoder.TABLE_ROWS, encoder.TABLE_WIDTH)
    freq_lit, freq_dist = encoder.FREQ_LIT, encoder.FREQ_DIST
    code_lit, len_lit = encoder.CODE_LIT, encoder.LEN_LIT
    code_dist, len_dist = encoder.CODE_DIST, encoder.LEN_DIST
    histogram = DIST_ROW + DIST_SYMBOLS
    lane_entries = cuda_block.lane_entries(threads)

    @cuda.jit(device=True)
    def put_bits(words, bit, value, nbits):
        """OR ``nbits`` bits of ``value`` into the stream at ``bit`` (LSB first)."""
        value = int64(value)
        nbits = int32(nbits)
        while nbits > 0:
            shift = bit & 31
            take = min(32 - shift, nbits)
            piece = (value & ((int64(1) << take) - 1)) << shift
            cuda.atomic.or_(words, bit >> 5, uint32(piece))
            value >>= take
            bit += take
            nbits -= take

    @cuda.jit(device=True)
    def bits_before(prefix, x, n, total):
        """Bits of the literals ``src[0:x]`` (``prefix`` holds them for x < n)."""
        return total if x >= n else int32(prefix[x])

    @cuda.jit(device=True)
    def sequence_bits(records, distances, k, matches, n, prefix, literal_total, lit_code,
                      lit_len, dist_code, dist_len):
        """Bits of sequence k: its literals, then its match or the end of block."""
        position, length, distance = sequence_at(records, distances, k, matches, n)
        anchor = sequence_end(records, k - 1)
        bits = (bits_before(prefix, position, n, literal_total)
                - bits_before(prefix, anchor, n, literal_total))
        if k == matches:
            return bits + int32(lit_len[END_OF_BLOCK])
        _, field_bits = match_field(length, distance, lit_code, lit_len, dist_code, dist_len)
        return bits + field_bits

    @cuda.jit(device=True)
    def count_literals(src, best, first, last, step):
        for b in range(first, last, step):
            cuda.atomic.add(best, int32(src[b]), uint32(1))

    @cuda.jit
    def deflate_block_pages(pages, page_size, out, slot, lengths, max_candidates, lazy,
                            last_phase):
        p = cuda.blockIdx.x
        page = pages[p]
        dst = out[p * slot:(p + 1) * slot]
        tid = cuda.threadIdx.x
        n = page_size
        src = cuda.shared.array(page_buffer_words, uint32).view(np.uint8)
        # The chain, then the literal bits before each position (< 15 * 4096: uint16).
        prev = cuda.shared.array(page_capacity, int16)
        prefix = prev.view(np.uint16)
        # The chain's head table until phase 2, then the best matches, then the symbol
        # counts and scan workspace in the lengths' half.
        best = cuda.shared.array(page_capacity, uint32)
        match_length = best.view(np.uint16)[:page_capacity]
        match_distance = best.view(np.uint16)[page_capacity:]
        records = cuda.shared.array(RECORDS, uint16)
        words = cuda.shared.array(OUT_WORDS, uint32)
        bits = cuda.shared.array(BITMAP_WORDS, uint32)
        path = cuda.shared.array(BITMAP_WORDS, uint32)
        lanes = cuda.shared.array(lane_entries, int64)
        lit_code = cuda.shared.array(CODES, uint16)
        lit_len = cuda.shared.array(CODES, uint8)
        dist_code = cuda.shared.array(32, uint16)
        dist_len = cuda.shared.array(32, uint8)
        # [1:8]: matches, long literal runs, block type, header bytes, header bits, the
        # extra bits of the matches, the walk's flag
        state = cuda.shared.array(8, int32)
        tables = cuda.local.array(table_shape, int32)  # thread 0's, dynamic codes only
        writer = cuda.local.array(3, int64)

        for i in range(tid, n, threads):
            src[i] = page[i]
        for w in range(tid, BITMAP_WORDS, threads):
            bits[w] = 0
        for w in range(tid, OUT_WORDS, threads):
            words[w] = 0
        cuda.syncthreads()

        starts = n - key_margin
        if starts > 1:
            # Phases 1 and 2: the chain, then every position's best match.
            link_chain(src, starts, best.view(np.uint16), prev, lanes, tid)
            searched = starts if last_phase >= 2 else 0
            find_best_matches(src, searched, prev, n, max_candidates, MAX_MATCH, WINDOW,
                              match_length, match_distance, bits, tid)
            cuda.syncthreads()
            if lazy:  # (the same for the whole block: its barrier is reached by all)
                drop_shorter_matches(bits, match_length, searched, tid)
                cuda.syncthreads()

        # Phase 3: the greedy walk records the sequences (warp 0).
        if last_phase >= 3 and (tid < 32 or simulator):
            matches, long_runs = walk(src, bits, match_length, match_distance, path, records,
                                      lanes, state[7:], starts, n, n, 0, tid)
            if tid == 0:
                state[1] = matches
                state[2] = long_runs
                state[6] = 0
        cuda.syncthreads()
        if last_phase < 4:
            if tid == 0:
                lengths[p] = -1
            return
        matches = state[1]
        long_runs = state[2]

        # Phase 4: the codes.  The dynamic mode counts the symbols first.
        if mode == DYNAMIC:
            for s in range(tid, histogram, threads):
                best[s] = 0
            cuda.syncthreads()
            for k in range(tid, matches + 1, threads):
                position, length, distance = sequence_at(records, match_distance, k, matches, n)
                anchor = sequence_end(records, k - 1)
                if position - anchor <= LONG_LITERALS:
                    count_literals(src, best, anchor, position, 1)
                if k < matches:
                    symbol = LENGTH_SYMBOL[length]
                    code = distance_code(distance)
                    cuda.atomic.add(best, symbol, uint32(1))
                    cuda.atomic.add(best, DIST_ROW + code, uint32(1))
                    cuda.atomic.add(state, 6, int32(encoder.LENGTH_EXTRA[symbol - 257]
                                                   + encoder.DIST_EXTRA[code]))
            for r in range(long_runs):
                k = int32(records[q3 + r])
                position, _, _ = sequence_at(records, match_distance, k, matches, n)
                count_literals(src, best, sequence_end(records, k - 1) + tid, position,
                               threads)
            cuda.syncthreads()
        if tid == 0:
            writer[0] = 0
            writer[1] = 0
            writer[2] = 0
            kind = FIXED_BLOCK
            nlen = ndist = ncode = runs = 0
            if mode == DYNAMIC:
                for s in range(encoder.TABLE_WIDTH):
                    tables[freq_lit, s] = best[s] if s < LITLEN_SYMBOLS else 0
                    tables[freq_dist, s] = best[DIST_ROW + s] if s < DIST_SYMBOLS else 0
                tables[freq_lit, END_OF_BLOCK] = 1
                kind, nlen, ndist, ncode, runs = plan_block(tables, n, state[6])
            write_block_header(tables, kind, n, nlen, ndist, ncode, runs, dst, slot, writer)
            for s in range(CODES):
                if kind == DYNAMIC_BLOCK:
                    lit_code[s] = tables[code_lit, s] if s < LITLEN_SYMBOLS else 0
                    lit_len[s] = tables[len_lit, s] if s < LITLEN_SYMBOLS else 0
                else:
                    lit_code[s] = FIXED_LIT_CODES[s]
                    lit_len[s] = FIXED_LIT_LENGTHS[s]
            for s in range(32):
                if kind == DYNAMIC_BLOCK:
                    dist_code[s] = tables[code_dist, s] if s < DIST_SYMBOLS else 0
                    dist_len[s] = tables[len_dist, s] if s < DIST_SYMBOLS else 0
                else:
                    dist_code[s] = FIXED_DIST_CODES[s] if s < DIST_SYMBOLS else 0
                    dist_len[s] = FIXED_DIST_LENGTHS[s] if s < DIST_SYMBOLS else 0
            # The header's whole bytes are in dst; its last bits go with the codes.
            put_bits(words, writer[2] * 8, writer[0], writer[1])
            state[3] = kind
            state[4] = writer[2]
            state[5] = writer[2] * 8 + writer[1]
        cuda.syncthreads()
        kind = state[3]
        header_bytes = state[4]

        if kind == STORED_BLOCK:
            size = n + STORED_HEADER
            if size <= slot:
                for b in range(tid, n, threads):
                    dst[STORED_HEADER + b] = src[b]
            else:
                size = -E2BIG
        else:
            # The literal bits before each position, each thread summing a stretch ...
            first, last = segment_bounds(n, tid)
            count = 0
            for i in range(first, last):
                count += int32(lit_len[src[i]])
            before, literal_total = block_exclusive_sum(count, best, tid)
            for i in range(first, last):
                prefix[i] = before
                before += int32(lit_len[src[i]])
            cuda.syncthreads()
            # ... then the first bit of each sequence, the same way.
            first, last = segment_bounds(matches + 1, tid)
            count = 0
            for k in range(first, last):
                count += sequence_bits(records, match_distance, k, matches, n, prefix,
                                       literal_total, lit_code, lit_len, dist_code, dist_len)
            before, sequences_total = block_exclusive_sum(count, best, tid)
            bit = state[5] + before
            for k in range(first, last):
                records[q2 + k] = bit
                bit += sequence_bits(records, match_distance, k, matches, n, prefix,
                                     literal_total, lit_code, lit_len, dist_code, dist_len)
            size = (state[5] + sequences_total + 7) >> 3
            if size > slot:
                size = -E2BIG
            cuda.syncthreads()
            if size >= 0:
                # Every sequence's codes at their bits, then the long literal runs.
                for k in range(tid, matches + 1, threads):
                    position, length, distance = sequence_at(records, match_distance, k,
                                                             matches, n)
                    anchor = sequence_end(records, k - 1)
                    bit = int32(records[q2 + k])
                    if position - anchor <= LONG_LITERALS:
                        for b in range(anchor, position):
                            literal = src[b]
                            put_bits(words, bit, lit_code[literal], lit_len[literal])
                            bit += int32(lit_len[literal])
                    else:
                        bit += (bits_before(prefix, position, n, literal_total)
                                - bits_before(prefix, anchor, n, literal_total))
                    if k < matches:
                        value, field_bits = match_field(length, distance, lit_code, lit_len,
                                                        dist_code, dist_len)
                        put_bits(words, bit, value, field_bits)
                    else:
                        put_bits(words, bit, lit_code[END_OF_BLOCK], lit_len[END_OF_BLOCK])
                for r in range(long_runs):
                    k = int32(records[q3 + r])
                    position, _, _ = sequence_at(records, match_distance, k, matches, n)
                    anchor = sequence_end(records, k - 1)
                    base = int32(records[q2 + k]) - int32(prefix[anchor])
                    for b in range(anchor + tid, position, threads):
                        literal = src[b]
                        put_bits(words, base + int32(prefix[b]), lit_code[literal],
                                 lit_len[literal])
                cuda.syncthreads()
                for j in range(header_bytes + tid, size, threads):
                    dst[j] = (words[j >> 2] >> ((j & 3) << 3)) & 0xFF
        if tid == 0:
            lengths[p] = size

    return deflate_block_pages


@functools.lru_cache(maxsize=None)
def build():
    """``(deflate_pages, inflate_pages)``, each launched as ``[grid, THREADS]``:

    - ``deflate_pages(pages, page_size, out, slot, lengths, max_candidates, lazy, mode)``
      compresses page ``p`` into ``out[p * slot:(p + 1) * slot]``;
    - ``inflate_pages(data, offsets, lengths, out, produced)`` decodes
      ``data[offsets[p]:offsets[p] + lengths[p]]`` into ``out[p]``.

    ``lengths`` / ``produced`` receive each page's length or negative errno.
    """
    shared_lz4, encode = device_functions()
    encode_page = encode.encode_page
    link_positions = shared_lz4.link_positions
    device = cuda.jit(device=True)
    inflate_page = compile_functions(decoder, decoder.CODEC_FUNCTIONS, device, uses=(
        compile_functions(lz4, decoder.USES, device))).inflate_page
    # Array shapes must be compile-time constants: numba types a module attribute
    # (``decoder.MAX_BITS``) as a run-time integer, a closure's value as a literal.
    hash_entries = 1 << HASH_LOG
    key_margin = encoder.MIN_MATCH - 1
    table_shape = (encoder.TABLE_ROWS, encoder.TABLE_WIDTH)
    code_lengths_size = decoder.MAX_CODE_LENGTHS
    counts_size = decoder.MAX_BITS + 1
    litlen_codes = decoder.MAX_LITLEN_CODES
    dist_codes = decoder.MAX_DIST_CODES
    fast_entries = decoder.FAST_ENTRIES
    fixed_entries = decoder.FIXED_ENTRIES
    fixed_tables = decoder.FIXED_TABLES  # (in constant memory)

    @cuda.jit
    def deflate_pages(pages, page_size, out, slot, lengths, max_candidates, lazy, mode):
        p = cuda.grid(1)
        if p >= lengths.shape[0]:
            return
        head = cuda.local.array(hash_entries, int16)
        prev = cuda.local.array(GPU_MAX_PAGE_SIZE, int16)
        records = cuda.local.array((3, MAX_RECORDS), int16)
        tables = cuda.local.array(table_shape, int32)
        writer = cuda.local.array(3, int64)
        for h in range(hash_entries):
            head[h] = -1
        src = pages[p]
        link_positions(src, page_size - key_margin, head, HASH_LOG, 0, prev)
        lengths[p] = encode_page(src, page_size, prev, out[p * slot:(p + 1) * slot], slot,
                                 mode, max_candidates, lazy, records, tables, writer)

    @cuda.jit
    def inflate_pages(data, offsets, lengths, out, produced):
        # The block's copy of the fixed codes: a warp's lanes look up different entries
        # at once, which constant memory serves one address at a time (CUDA C++
        # Programming Guide, "Constant Memory").
        fixed = cuda.shared.array(fixed_entries, int16)
        for e in range(cuda.threadIdx.x, fixed_entries, cuda.blockDim.x):
            fixed[e] = fixed_tables[e]
        cuda.syncthreads()
        p = cuda.grid(1)
        if p >= lengths.shape[0]:
            return
        state = cuda.local.array(3, int64)
        code_lengths = cuda.local.array(code_lengths_size, int16)
        lcounts = cuda.local.array(counts_size, int16)
        dcounts = cuda.local.array(counts_size, int16)
        offs = cuda.local.array(counts_size, int16)
        lsymbols = cuda.local.array(litlen_codes, int16)
        dsymbols = cuda.local.array(dist_codes, int16)
        ltable = cuda.local.array(fast_entries, int16)
        dtable = cuda.local.array(fast_entries, int16)
        start = offsets[p]
        block = data[start:start + lengths[p]]
        produced[p] = inflate_page(block, lengths[p], out[p], out.shape[1], fixed, state,
                                   code_lengths, lcounts, offs, lsymbols, ltable, dcounts,
                                   dsymbols, dtable)

    return deflate_pages, inflate_pages
