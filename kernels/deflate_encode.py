"""Raw DEFLATE (RFC 1951) encoding of one page in IAA's format, written once for the CPU
(numba njit) and CUDA (device functions), as ``kernels/lz4.py``.

The stream
----------
Each page is one final block; every back-reference reaches at most ``WINDOW`` (4096)
bytes back, IAA's history window, so the stream also decodes with a 4 KiB window.

The parse is LZ4's (``kernels/lz4.py``) with DEFLATE's limits, so the same match
finding (``lz4.link_positions`` and ``lz4.best_match``) serves both formats:

1. A match starts at ``i < n - 3`` (its 4-byte key exists) and may run to the end of
   the page.  Candidates are the ``max_candidates`` most recent earlier positions with
   the same key, at most ``WINDOW`` bytes back.
2. The best candidate is the longest, compared up to ``MAX_MATCH`` (258) bytes; ties go
   to the most recent.  A match takes ``min(length, 258)`` bytes.
3. Greedy: scanning from ``i = 1``, a position with a candidate emits its match and
   the scan continues after it; otherwise it becomes a literal.
4. Lazy (an option, ``lazy``): LZ4's step 5, a position whose best candidate is
   shorter than the next position's becomes a literal.

The block
---------
``FIXED`` mode writes the parse with the fixed Huffman codes (IAA's ``deflate-iaa``).
``DYNAMIC`` mode builds the page's own codes and writes the smallest of a dynamic, a
fixed and a stored block (ties in that order), as zlib chooses per block.  Dynamic codes:

- Code lengths come from Huffman's algorithm over the symbols sorted by (frequency,
  symbol), computed in place on the sorted weights (Moffat and Katajainen, "In-place
  calculation of minimum-redundancy codes", 1995).  Codes longer than the limit (15
  bits; 7 for the code-length code) are shortened by moving leaves up the tree until
  the Kraft sum is exact again; the least frequent symbols get the longest codes.
- A code set with fewer than two symbols gets two codes of one bit (the used symbol
  and the lowest unused one), as zlib does, so every code set is complete.
- Code lengths are run-length coded with 16 (repeat the previous 3-6 times), 17 (3-10
  zeros) and 18 (11-138 zeros), runs crossing from the literal to the distance lengths.

All these choices are part of the format: equal settings give equal bytes everywhere.

Workspace
---------
The functions take only arrays and integers (a CUDA thread keeps them in local memory):
``records`` (3, MAX_RECORDS) holds the parse (int16 suffices for pages of up to
4 KiB, int32 beyond), ``tables`` int32 (TABLE_ROWS,
TABLE_WIDTH) the frequencies, lengths and codes (rows named below), ``writer`` int64[3]
the bit writer (bit buffer, bit count, output position).
"""

import numpy as np

from gpuacomp.kernels.deflate import (CODE_LENGTH_ORDER, DIST_BASE, DIST_EXTRA,
                                      LENGTH_BASE, LENGTH_EXTRA)
from gpuacomp.kernels.lz4 import E2BIG, MAX_PAGE_SIZE, best_match, defers_to_next

MIN_MATCH = 4  # the parse's key (DEFLATE allows 3; LZ4's match finding uses 4 bytes)
MAX_MATCH = 258
WINDOW = 4096  # IAA's history window
FIXED = 0
DYNAMIC = 1
MODES = {"fixed": FIXED, "dynamic": DYNAMIC}
# Block types, as the block header's BTYPE field numbers them.
STORED_BLOCK, FIXED_BLOCK, DYNAMIC_BLOCK = 0, 1, 2

END_OF_BLOCK = 256
LITLEN_SYMBOLS = 286  # 0-255 literals, 256 end of block, 257-285 lengths
DIST_SYMBOLS = 30
CODE_LENGTH_SYMBOLS = 19
MAX_BITS = 15
MAX_CODE_LENGTH_BITS = 7
STORED_MAX = 65535  # a stored block's length field
MAX_RECORDS = MAX_PAGE_SIZE // MIN_MATCH + 1

# Rows of ``tables``.
FREQ_LIT, FREQ_DIST, FREQ_CL = 0, 1, 2
LEN_LIT, LEN_DIST, LEN_CL = 3, 4, 5
CODE_LIT, CODE_DIST, CODE_CL = 6, 7, 8
SORTED, WEIGHTS, COUNTS = 9, 10, 11  # Huffman workspace (COUNTS: per length, then next code)
RUN_SYMBOL, RUN_EXTRA = 12, 13  # the run-length coded code lengths
TABLE_ROWS = 14
TABLE_WIDTH = 320  # room for 286 + 30 code lengths

# The length symbol (257..285) of each match length 3..258; 258 has its own symbol.
LENGTH_SYMBOL = np.zeros(MAX_MATCH + 1, np.int32)
for _code in range(len(LENGTH_BASE)):
    for _length in range(LENGTH_BASE[_code],
                         min(LENGTH_BASE[_code] + (1 << LENGTH_EXTRA[_code]), MAX_MATCH + 1)):
        LENGTH_SYMBOL[_length] = 257 + _code
RUN_EXTRA_BITS = np.array([2, 3, 7], np.int64)  # of code-length symbols 16, 17, 18


def distance_code(distance):
    """The distance symbol (0..29) of a distance 1..32768."""
    x = distance - 1
    if x < 4:
        return x
    top = 2  # the highest set bit of x
    while (x >> (top + 1)) != 0:
        top += 1
    return 2 * top + ((x >> (top - 1)) & 1)


def parse_page(src, n, prev, max_candidates, lazy, records, dst, cap, writer, write_fixed):
    """The parse of ``src[0:n]`` (``lazy``: with its lazy step): the number of matches.

    ``prev[i]`` (for ``i < n - 3``) links ``i`` to an earlier position of the same hash
    (``lz4.link_positions``).  Match k starts at ``records[0, k]`` with length
    ``records[1, k]`` and distance ``records[2, k]``.  With ``write_fixed`` the parse
    is written with the fixed codes as it is found, after what ``writer`` holds, and
    ``records`` is left alone (one pass over the page instead of two).
    """
    count = 0
    starts = n - (MIN_MATCH - 1)
    buffer, bits, op = writer[0], writer[1], writer[2]
    anchor = 0
    i = 1
    while i < starts:
        if prev[i] < 0:
            i += 1
            continue
        length, distance = best_match(src, i, prev, n, max_candidates, MAX_MATCH, WINDOW)
        if length == 0 or (lazy and defers_to_next(src, i, length, prev, n, max_candidates,
                                                   MAX_MATCH, WINDOW, starts)):
            i += 1
            continue
        if write_fixed:
            buffer, bits, op = _emit_literals(src, anchor, i, FIXED_LIT_CODES,
                                              FIXED_LIT_LENGTHS, dst, cap, buffer, bits, op)
            buffer, bits, op = _emit_match(length, distance, FIXED_LIT_CODES,
                                           FIXED_LIT_LENGTHS, FIXED_DIST_CODES,
                                           FIXED_DIST_LENGTHS, dst, cap, buffer, bits, op)
        else:
            records[0, count] = i
            records[1, count] = length
            records[2, count] = distance
        count += 1
        i += length
        anchor = i
    if write_fixed:
        buffer, bits, op = _emit_literals(src, anchor, n, FIXED_LIT_CODES, FIXED_LIT_LENGTHS,
                                          dst, cap, buffer, bits, op)
        writer[0], writer[1], writer[2] = _emit(dst, cap, buffer, bits, op,
                                                FIXED_LIT_CODES[END_OF_BLOCK],
                                                FIXED_LIT_LENGTHS[END_OF_BLOCK])
    return count


def _emit(dst, cap, buffer, count, op, value, nbits):
    """Append ``nbits`` bits of ``value`` (LSB first) to the bit buffer ``(buffer, count)``
    at output position ``op``; returns the new three.  Bytes past ``cap`` are counted,
    not written, so the caller sees the overflow in the final length."""
    buffer |= np.int64(value) << count
    count += nbits
    while count >= 8:
        if op < cap:
            dst[op] = buffer & 0xFF
        op += 1
        buffer >>= 8
        count -= 8
    return buffer, count, op


def _put(dst, cap, writer, value, nbits):
    """``_emit`` on the bit writer ``writer`` (buffer, count, position)."""
    writer[0], writer[1], writer[2] = _emit(dst, cap, writer[0], writer[1], writer[2], value,
                                            nbits)


def _flush(dst, cap, writer):
    """Pad the last byte with zero bits; returns the stream's length in bytes."""
    if writer[1] > 0:
        _put(dst, cap, writer, 0, 8 - writer[1])
    return writer[2]


def _reverse(code, length):
    # Huffman codes are sent most significant bit first into an LSB-first stream.
    reversed_code = 0
    for _ in range(length):
        reversed_code = (reversed_code << 1) | (code & 1)
        code >>= 1
    return reversed_code


def _canonical_codes(tables, lengths_row, codes_row, nsym):
    """RFC 1951's canonical codes for the lengths in ``tables[lengths_row, :nsym]``."""
    for bits in range(MAX_BITS + 1):
        tables[COUNTS, bits] = 0
    for s in range(nsym):
        tables[COUNTS, tables[lengths_row, s]] += 1
    tables[COUNTS, 0] = 0
    code = 0
    for bits in range(1, MAX_BITS + 1):
        code = (code + tables[COUNTS, bits - 1]) << 1
        tables[COUNTS, MAX_BITS + 1 + bits] = code  # the next code of this length
    for s in range(nsym):
        length = tables[lengths_row, s]
        if length != 0:
            code = tables[COUNTS, MAX_BITS + 1 + length]
            tables[COUNTS, MAX_BITS + 1 + length] = code + 1
            tables[codes_row, s] = _reverse(code, length)


def _fixed_lengths(tables):
    for s in range(TABLE_WIDTH):
        tables[LEN_LIT, s] = 0
    for s in range(144):
        tables[LEN_LIT, s] = 8
    for s in range(144, 256):
        tables[LEN_LIT, s] = 9
    for s in range(256, 280):
        tables[LEN_LIT, s] = 7
    for s in range(280, 288):
        tables[LEN_LIT, s] = 8
    for s in range(DIST_SYMBOLS):
        tables[LEN_DIST, s] = 5


def _huffman_lengths(tables, freq_row, lengths_row, nsym, limit):
    """Code lengths of at most ``limit`` bits for the frequencies of ``freq_row``."""
    used = 0
    for s in range(nsym):
        tables[lengths_row, s] = 0
        weight = tables[freq_row, s]
        if weight == 0:
            continue
        # Insertion sort by (frequency, symbol): the key orders both at once.
        key = (weight << 9) | s
        k = used
        while k > 0 and tables[SORTED, k - 1] > key:
            tables[SORTED, k] = tables[SORTED, k - 1]
            k -= 1
        tables[SORTED, k] = key
        used += 1
    if used < 2:
        # Two one-bit codes: the used symbol (if any) and the lowest unused ones.
        missing = 2 - used
        for s in range(nsym):
            if tables[freq_row, s] != 0:
                tables[lengths_row, s] = 1
            elif missing > 0:
                tables[lengths_row, s] = 1
                missing -= 1
        return
    for k in range(used):
        tables[WEIGHTS, k] = tables[SORTED, k] >> 9
        tables[SORTED, k] = tables[SORTED, k] & 511
    _minimum_redundancy(tables, used)
    # Lengths per code length, those beyond the limit moved to it ...
    for bits in range(limit + 1):
        tables[COUNTS, bits] = 0
    for k in range(used):
        tables[COUNTS, min(tables[WEIGHTS, k], limit)] += 1
    # ... then leaves moved up until the Kraft sum is exactly 1 again: each step takes a
    # leaf off the deepest level and splits a shallower leaf into two one level down.
    kraft = 0
    for bits in range(1, limit + 1):
        kraft += tables[COUNTS, bits] << (limit - bits)
    while kraft > (1 << limit):
        tables[COUNTS, limit] -= 1
        for bits in range(limit - 1, 0, -1):
            if tables[COUNTS, bits] != 0:
                tables[COUNTS, bits] -= 1
                tables[COUNTS, bits + 1] += 2
                break
        kraft -= 1
    # The least frequent symbols (first in sorted order) take the longest codes.
    k = 0
    for bits in range(limit, 0, -1):
        for _ in range(tables[COUNTS, bits]):
            tables[lengths_row, tables[SORTED, k]] = bits
            k += 1


def _minimum_redundancy(tables, n):
    """Huffman code lengths, in place: ``tables[WEIGHTS, :n]`` holds weights in ascending
    order on entry and each one's code length on exit (Moffat and Katajainen's method:
    internal nodes are formed in the same array, then depths replace parent links)."""
    w = tables[WEIGHTS]
    # Pass 1: build the tree; w[j] becomes the weight of internal node j, and a node
    # that is consumed stores its parent's index.
    w[0] += w[1]
    root = 0
    leaf = 2
    for nxt in range(1, n - 1):
        if leaf >= n or w[root] < w[leaf]:
            w[nxt] = w[root]
            w[root] = nxt
            root += 1
        else:
            w[nxt] = w[leaf]
            leaf += 1
        if leaf >= n or (root < nxt and w[root] < w[leaf]):
            w[nxt] += w[root]
            w[root] = nxt
            root += 1
        else:
            w[nxt] += w[leaf]
            leaf += 1
    # Pass 2: internal node depths, from the root (node n - 2) down.
    w[n - 2] = 0
    for nxt in range(n - 3, -1, -1):
        w[nxt] = w[w[nxt]] + 1
    # Pass 3: leaf depths: each level's free slots not taken by internal nodes are leaves.
    available = 1
    depth = 0
    root = n - 2
    nxt = n - 1
    while available > 0:
        internal = 0
        while root >= 0 and w[root] == depth:
            internal += 1
            root -= 1
        while available > internal:
            w[nxt] = depth
            nxt -= 1
            available -= 1
        available = 2 * internal
        depth += 1


def _count_symbols(src, n, records, count, tables):
    """Symbol frequencies of the parse; returns the bits of all extra fields."""
    for s in range(TABLE_WIDTH):
        tables[FREQ_LIT, s] = 0
        tables[FREQ_DIST, s] = 0
    extra_bits = 0
    anchor = 0
    for k in range(count + 1):
        end = records[0, k] if k < count else n
        for b in range(anchor, end):
            tables[FREQ_LIT, src[b]] += 1
        if k == count:
            break
        symbol = LENGTH_SYMBOL[records[1, k]]
        tables[FREQ_LIT, symbol] += 1
        code = distance_code(records[2, k])
        tables[FREQ_DIST, code] += 1
        extra_bits += LENGTH_EXTRA[symbol - 257] + DIST_EXTRA[code]
        anchor = end + records[1, k]
    tables[FREQ_LIT, END_OF_BLOCK] += 1
    return extra_bits


def _code_length(tables, index, nlen):
    if index < nlen:
        return tables[LEN_LIT, index]
    return tables[LEN_DIST, index - nlen]


def _add_run(tables, runs, symbol, extra):
    tables[RUN_SYMBOL, runs] = symbol
    tables[RUN_EXTRA, runs] = extra
    tables[FREQ_CL, symbol] += 1
    return runs + 1


def _run_length_code(tables, nlen, ndist):
    """Run-length code the ``nlen + ndist`` code lengths: the number of runs."""
    for s in range(CODE_LENGTH_SYMBOLS):
        tables[FREQ_CL, s] = 0
    total = nlen + ndist
    runs = 0
    i = 0
    while i < total:
        value = _code_length(tables, i, nlen)
        run = 1
        while i + run < total and _code_length(tables, i + run, nlen) == value:
            run += 1
        i += run
        if value == 0:
            while run >= 11:
                take = min(run, 138)
                runs = _add_run(tables, runs, 18, take - 11)
                run -= take
            if run >= 3:
                runs = _add_run(tables, runs, 17, run - 3)
                run = 0
        else:
            runs = _add_run(tables, runs, value, 0)
            run -= 1
            while run >= 3:
                take = min(run, 6)
                runs = _add_run(tables, runs, 16, take - 3)
                run -= take
        for _ in range(run):
            runs = _add_run(tables, runs, value, 0)
    return runs


def _symbol_bits(freqs, lengths, nsym):
    bits = 0
    for s in range(nsym):
        bits += freqs[s] * lengths[s]
    return bits


def _emit_literals(src, first, last, lit_codes, lit_lengths, dst, cap, buffer, bits, op):
    for b in range(first, last):
        literal = src[b]
        buffer, bits, op = _emit(dst, cap, buffer, bits, op, lit_codes[literal],
                                 lit_lengths[literal])
    return buffer, bits, op


def match_field(length, distance, lit_codes, lit_lengths, dist_codes, dist_lengths):
    """A match's four fields (length code and extra bits, distance code and extra bits)
    as one bit string, ``(value, nbits)``: at most 48 bits, 29 with the fixed codes."""
    symbol = LENGTH_SYMBOL[length]
    code = distance_code(distance)
    value = np.int64(lit_codes[symbol])
    nbits = lit_lengths[symbol]
    value |= np.int64(length - LENGTH_BASE[symbol - 257]) << nbits
    nbits += LENGTH_EXTRA[symbol - 257]
    value |= np.int64(dist_codes[code]) << nbits
    nbits += dist_lengths[code]
    value |= np.int64(distance - DIST_BASE[code]) << nbits
    return value, nbits + DIST_EXTRA[code]


def _emit_match(length, distance, lit_codes, lit_lengths, dist_codes, dist_lengths, dst,
                cap, buffer, bits, op):
    value, nbits = match_field(length, distance, lit_codes, lit_lengths, dist_codes,
                               dist_lengths)
    return _emit(dst, cap, buffer, bits, op, value, nbits)


def _write_symbols(src, n, records, count, lit_codes, lit_lengths, dist_codes, dist_lengths,
                   dst, cap, writer):
    """The parse in ``records`` with the given codes, then end of block."""
    # The bit buffer stays in local variables through the loop: the hot path.
    buffer, bits, op = writer[0], writer[1], writer[2]
    anchor = 0
    for k in range(count):
        buffer, bits, op = _emit_literals(src, anchor, records[0, k], lit_codes, lit_lengths,
                                          dst, cap, buffer, bits, op)
        buffer, bits, op = _emit_match(records[1, k], records[2, k], lit_codes, lit_lengths,
                                       dist_codes, dist_lengths, dst, cap, buffer, bits, op)
        anchor = records[0, k] + records[1, k]
    buffer, bits, op = _emit_literals(src, anchor, n, lit_codes, lit_lengths, dst, cap,
                                      buffer, bits, op)
    writer[0], writer[1], writer[2] = _emit(dst, cap, buffer, bits, op,
                                            lit_codes[END_OF_BLOCK], lit_lengths[END_OF_BLOCK])


def _write_stored_header(n, dst, cap, writer):
    _put(dst, cap, writer, 1, 3)  # final, stored
    _flush(dst, cap, writer)
    _put(dst, cap, writer, n, 16)
    _put(dst, cap, writer, n ^ 0xFFFF, 16)


def _write_stored(src, n, dst, cap, writer):
    _write_stored_header(n, dst, cap, writer)
    op = writer[2]
    for b in range(n):
        if op + b < cap:
            dst[op + b] = src[b]
    writer[2] = op + n


def _write_dynamic_header(tables, nlen, ndist, ncode, runs, dst, cap, writer):
    _put(dst, cap, writer, 5, 3)  # final, dynamic
    _put(dst, cap, writer, nlen - 257, 5)
    _put(dst, cap, writer, ndist - 1, 5)
    _put(dst, cap, writer, ncode - 4, 4)
    for k in range(ncode):
        _put(dst, cap, writer, tables[LEN_CL, CODE_LENGTH_ORDER[k]], 3)
    for r in range(runs):
        symbol = tables[RUN_SYMBOL, r]
        _put(dst, cap, writer, tables[CODE_CL, symbol], tables[LEN_CL, symbol])
        if symbol >= 16:
            _put(dst, cap, writer, tables[RUN_EXTRA, r], RUN_EXTRA_BITS[symbol - 16])


def encode_page(src, n, prev, dst, cap, mode, max_candidates, lazy, records, tables, writer):
    """Compress ``src[0:n]`` into ``dst[0:cap]`` as one final raw DEFLATE block.

    ``prev``, ``max_candidates`` and ``lazy`` as for ``parse_page``; ``mode`` FIXED or
    DYNAMIC.  Returns the compressed length, or ``-E2BIG`` if it would exceed ``cap``
    (nothing past ``cap`` is written).
    """
    writer[0] = 0
    writer[1] = 0
    writer[2] = 0
    if mode == FIXED:
        _put(dst, cap, writer, 3, 3)  # final, fixed
        parse_page(src, n, prev, max_candidates, lazy, records, dst, cap, writer, True)
        return _finish(dst, cap, writer)
    count = parse_page(src, n, prev, max_candidates, lazy, records, dst, cap, writer, False)
    extra_bits = _count_symbols(src, n, records, count, tables)
    block, nlen, ndist, ncode, runs = plan_block(tables, n, extra_bits)
    if block == STORED_BLOCK:
        _write_stored(src, n, dst, cap, writer)
    elif block == FIXED_BLOCK:
        write_block_header(tables, block, n, nlen, ndist, ncode, runs, dst, cap, writer)
        _write_symbols(src, n, records, count, FIXED_LIT_CODES, FIXED_LIT_LENGTHS,
                       FIXED_DIST_CODES, FIXED_DIST_LENGTHS, dst, cap, writer)
    else:
        write_block_header(tables, block, n, nlen, ndist, ncode, runs, dst, cap, writer)
        _write_symbols(src, n, records, count, tables[CODE_LIT], tables[LEN_LIT],
                       tables[CODE_DIST], tables[LEN_DIST], dst, cap, writer)
    return _finish(dst, cap, writer)


def plan_block(tables, n, extra_bits):
    """The block of the dynamic mode, from the parse's symbol frequencies in ``tables``
    and the bits of its extra fields: ``(block, nlen, ndist, ncode, runs)``, the block
    ``STORED_BLOCK``, ``FIXED_BLOCK`` or ``DYNAMIC_BLOCK``, whichever is smallest (ties
    in the order dynamic, fixed, stored), and the dynamic header's sizes.

    Leaves the dynamic codes' lengths in ``tables`` for ``write_block_header``.
    """
    fixed_bits = (3 + extra_bits
                  + _symbol_bits(tables[FREQ_LIT], FIXED_LIT_LENGTHS, LITLEN_SYMBOLS)
                  + _symbol_bits(tables[FREQ_DIST], FIXED_DIST_LENGTHS, DIST_SYMBOLS))
    _huffman_lengths(tables, FREQ_LIT, LEN_LIT, LITLEN_SYMBOLS, MAX_BITS)
    _huffman_lengths(tables, FREQ_DIST, LEN_DIST, DIST_SYMBOLS, MAX_BITS)
    nlen = LITLEN_SYMBOLS
    while tables[LEN_LIT, nlen - 1] == 0:
        nlen -= 1
    ndist = DIST_SYMBOLS
    while ndist > 1 and tables[LEN_DIST, ndist - 1] == 0:
        ndist -= 1
    runs = _run_length_code(tables, nlen, ndist)
    _huffman_lengths(tables, FREQ_CL, LEN_CL, CODE_LENGTH_SYMBOLS, MAX_CODE_LENGTH_BITS)
    ncode = CODE_LENGTH_SYMBOLS
    while ncode > 4 and tables[LEN_CL, CODE_LENGTH_ORDER[ncode - 1]] == 0:
        ncode -= 1
    header_bits = 3 + 14 + 3 * ncode
    for r in range(runs):
        symbol = tables[RUN_SYMBOL, r]
        header_bits += tables[LEN_CL, symbol]
        if symbol >= 16:
            header_bits += RUN_EXTRA_BITS[symbol - 16]
    dynamic_bits = (header_bits + extra_bits
                    + _symbol_bits(tables[FREQ_LIT], tables[LEN_LIT], LITLEN_SYMBOLS)
                    + _symbol_bits(tables[FREQ_DIST], tables[LEN_DIST], DIST_SYMBOLS))
    dynamic_bytes = (dynamic_bits + 7) >> 3
    fixed_bytes = (fixed_bits + 7) >> 3
    stored_bytes = n + 5 if n <= STORED_MAX else dynamic_bytes + 1
    if dynamic_bytes <= fixed_bytes and dynamic_bytes <= stored_bytes:
        block = DYNAMIC_BLOCK
    elif fixed_bytes <= stored_bytes:
        block = FIXED_BLOCK
    else:
        block = STORED_BLOCK
    return block, nlen, ndist, ncode, runs


def write_block_header(tables, block, n, nlen, ndist, ncode, runs, dst, cap, writer):
    """The header of a final block of ``n`` bytes: a stored block's up to its data, a
    dynamic block's as ``plan_block`` planned it (its sizes, and ``tables``, whose codes
    this completes)."""
    if block == STORED_BLOCK:
        _write_stored_header(n, dst, cap, writer)
        return
    if block == FIXED_BLOCK:
        _put(dst, cap, writer, 3, 3)  # final, fixed
        return
    _canonical_codes(tables, LEN_CL, CODE_CL, CODE_LENGTH_SYMBOLS)
    _write_dynamic_header(tables, nlen, ndist, ncode, runs, dst, cap, writer)
    _canonical_codes(tables, LEN_LIT, CODE_LIT, LITLEN_SYMBOLS)
    _canonical_codes(tables, LEN_DIST, CODE_DIST, DIST_SYMBOLS)


def _finish(dst, cap, writer):
    """Flush the bit writer: the stream's length, or -E2BIG past ``cap``."""
    length = _flush(dst, cap, writer)
    if length > cap:
        return -E2BIG
    return length


def _fixed_code_tables():
    """The fixed Huffman code (RFC 1951, 3.2.6), built once with the dynamic codes' own
    functions: literal/length codes and lengths, distance codes and lengths."""
    tables = np.zeros((TABLE_ROWS, TABLE_WIDTH), np.int32)
    _fixed_lengths(tables)
    _canonical_codes(tables, LEN_LIT, CODE_LIT, 288)
    _canonical_codes(tables, LEN_DIST, CODE_DIST, DIST_SYMBOLS)
    return tuple(tables[row].copy() for row in (CODE_LIT, LEN_LIT, CODE_DIST, LEN_DIST))


FIXED_LIT_CODES, FIXED_LIT_LENGTHS, FIXED_DIST_CODES, FIXED_DIST_LENGTHS = _fixed_code_tables()

CODEC_FUNCTIONS = (
    "distance_code", "parse_page", "_emit", "_put", "_flush", "_finish", "_emit_literals",
    "match_field", "_emit_match", "_reverse", "_canonical_codes", "_huffman_lengths",
    "_minimum_redundancy", "_count_symbols", "_code_length", "_add_run", "_run_length_code",
    "_symbol_bits", "_write_symbols", "_write_stored_header", "_write_stored",
    "_write_dynamic_header", "encode_page", "plan_block", "write_block_header",
)
# The functions of kernels/lz4.py these call: compile those first and pass them as ``uses``.
USES = ("defers_to_next", "best_match", "_same_key", "_common_length")
# Those that set a block up or finish it (symbol counts, code construction, headers,
# the stored copy): they run once a page or a block and write no bits in a hot loop.
# The CPU compiles them to be called rather than inlined, since numba copies an inlined
# function into each of its callers: the backend's first compile took 38 s instead of
# 105, at the same speed (bench/RESULTS.md).  The parse and the symbol writer stay
# inlined: called, they cost the encoder up to a tenth of its speed, as the compiler
# then no longer sees that the bit writer's state is an array of the caller's own.
BLOCK_SETUP = (
    "_count_symbols", "plan_block", "write_block_header", "_write_stored",
    "_write_stored_header", "_finish", "_huffman_lengths", "_minimum_redundancy",
    "_canonical_codes", "_run_length_code", "_write_dynamic_header",
)
