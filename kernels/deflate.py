"""Raw DEFLATE (RFC 1951) decoding of one page, written once for the CPU (numba njit) and
CUDA (device functions), as ``kernels/lz4.py``.

``inflate_page`` decodes stored, fixed-Huffman and dynamic-Huffman blocks with canonical
Huffman decoding: a table indexed by the next ``FAST_BITS`` bits gives the symbols of the
short (frequent) codes at once; longer codes, and bits that run out, take the canonical
way one bit at a time (count of codes per length, symbols in code order).  The table
only ever answers what the bitwise way would, so both give the same results.
Every read of the input, every code set and every back-reference is checked before it
is used, so malformed input gives ``-EINVAL`` (``-EOVERFLOW`` when the output would pass
its capacity) and never a read or write out of bounds.  Code sets follow zlib's rules:
over-subscribed sets are refused; incomplete ones only where zlib accepts them (codes
of length one only, that is a single code).

The functions take only arrays and integers: a caller owns the workspace (``state``:
input position, bit buffer and bit count; the code lengths; counts, offsets and symbols
of the two code sets), so a CUDA thread can keep it in local memory.  The loops that
read most of the bits (a block's symbols, a dynamic block's code lengths) keep the bit
buffer in locals, topped up to 49 bits or more at once (``_refill``), and put it back
in ``state`` where they end or call the bitwise decoder: through the array, every bit
read was a load and a store the compiler could not keep in registers (1.2-1.3x on the
CPU, bench/RESULTS.md).  The fixed codes' tables never change, so they are built once,
at import (``FIXED_TABLES``), and a caller passes them or a copy where its target reads
one faster (a CUDA block's shared memory); building them for every fixed block took a
third of the CPU's time to decode IAA's fixed-code pages (bench/RESULTS.md).
Back-references and stored blocks are copied by ``lz4``'s decoder copies (``USES``),
which a caller compiles for its target with these (the CPU's copy eight bytes a step).
"""

import numpy as np

from gpuacomp.kernels.lz4 import _copy_literals, _copy_match

# The functions of kernels/lz4.py these call: compile_functions(..., uses=...) them.
USES = ("_copy_literals", "_copy_match")

EINVAL = 22
EOVERFLOW = 75

MAX_BITS = 15
MAX_LITLEN_CODES = 288
MAX_DIST_CODES = 30
MAX_LITLEN_LENGTHS = 286  # literal/length code lengths a dynamic block may send
CODE_LENGTH_CODES = 19
# ``lengths`` of a dynamic block: the code-length code's, then those it sends (up to 286
# literal/length and 30 distance code lengths).
MAX_CODE_LENGTHS = CODE_LENGTH_CODES + MAX_LITLEN_LENGTHS + MAX_DIST_CODES
FAST_BITS = 9  # the fast table covers codes of up to 9 bits (most literals and lengths)
FAST_ENTRIES = 1 << FAST_BITS

# ``FIXED_TABLES``: the fixed literal/length code's counts per length, symbols in code
# order and fast table, then the fixed distance code's, one int16 array.
FIXED_LCOUNTS = 0
FIXED_LSYMBOLS = FIXED_LCOUNTS + MAX_BITS + 1
FIXED_LTABLE = FIXED_LSYMBOLS + MAX_LITLEN_CODES
FIXED_DCOUNTS = FIXED_LTABLE + FAST_ENTRIES
FIXED_DSYMBOLS = FIXED_DCOUNTS + MAX_BITS + 1
FIXED_DTABLE = FIXED_DSYMBOLS + MAX_DIST_CODES
FIXED_ENTRIES = FIXED_DTABLE + FAST_ENTRIES

STATE_IP, STATE_BITS, STATE_COUNT = 0, 1, 2
OUT_OF_INPUT = -1
BAD_CODE = -2

LENGTH_BASE = np.array([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51,
                        59, 67, 83, 99, 115, 131, 163, 195, 227, 258], np.int64)
LENGTH_EXTRA = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4,
                         4, 5, 5, 5, 5, 0], np.int64)
DIST_BASE = np.array([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385,
                      513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
                      24577], np.int64)
DIST_EXTRA = np.array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10,
                       10, 11, 11, 12, 12, 13, 13], np.int64)
# The order in which a dynamic block sends the code lengths of the code-length code.
CODE_LENGTH_ORDER = np.array([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1,
                              15], np.int64)


def _bits(src, slen, state, need):
    """The next ``need`` bits (LSB first), or OUT_OF_INPUT."""
    buffer = state[STATE_BITS]
    count = state[STATE_COUNT]
    ip = state[STATE_IP]
    while count < need:
        if ip >= slen:
            return np.int64(OUT_OF_INPUT)
        buffer |= np.int64(src[ip]) << count
        ip += 1
        count += 8
    state[STATE_IP] = ip
    state[STATE_BITS] = buffer >> need
    state[STATE_COUNT] = count - need
    return buffer & ((np.int64(1) << need) - 1)


def _construct(lengths, start, n, counts, offsets, symbols):
    """Canonical code of ``lengths[start:start+n]``: counts per length and the symbols in
    code order.  Returns 0 (complete), > 0 (incomplete) or < 0 (over-subscribed)."""
    for length in range(MAX_BITS + 1):
        counts[length] = 0
    for s in range(n):
        counts[lengths[start + s]] += 1
    if counts[0] == n:
        return np.int64(0)  # no codes: complete, but nothing can be decoded
    left = np.int64(1)
    for length in range(1, MAX_BITS + 1):
        left <<= 1
        left -= counts[length]
        if left < 0:
            return left
    offsets[1] = 0
    for length in range(1, MAX_BITS):
        offsets[length + 1] = offsets[length] + counts[length]
    for s in range(n):
        length = lengths[start + s]
        if length != 0:
            symbols[offsets[length]] = s
            offsets[length] += 1
    return left


def _decode(src, slen, state, counts, symbols):
    """The next symbol of a code, OUT_OF_INPUT, or BAD_CODE (no code of 15 bits or less)."""
    code = np.int64(0)
    first = np.int64(0)
    index = np.int64(0)
    for length in range(1, MAX_BITS + 1):
        bit = _bits(src, slen, state, 1)
        if bit < 0:
            return bit
        code |= bit
        count = np.int64(counts[length])
        if code - count < first:
            return np.int64(symbols[index + (code - first)])
        index += count
        first += count
        first <<= 1
        code <<= 1
    return np.int64(BAD_CODE)


def _reversed(code, length):
    """The ``length`` low bits of ``code`` in reverse order."""
    code = ((code >> 1) & 0x5555) | ((code & 0x5555) << 1)
    code = ((code >> 2) & 0x3333) | ((code & 0x3333) << 2)
    code = ((code >> 4) & 0x0F0F) | ((code & 0x0F0F) << 4)
    code = ((code >> 8) & 0x00FF) | ((code & 0x00FF) << 8)
    return code >> (16 - length)


def _fast_table(counts, symbols, table):
    """Fill ``table`` for the code whose ``counts`` per length and ``symbols`` in code
    order ``_construct`` gave: the entry of each ``FAST_BITS``-bit input whose first bits
    are a code of at most ``FAST_BITS`` bits is ``symbol << 4 | length``; every other
    entry is 0."""
    for e in range(FAST_ENTRIES):
        table[e] = 0
    code = 0
    index = 0
    for length in range(1, FAST_BITS + 1):
        for _ in range(counts[length]):
            entry = (np.int64(symbols[index]) << 4) | length
            # Codes arrive most significant bit first: index by the reversed code.
            for e in range(_reversed(code, length), FAST_ENTRIES, 1 << length):
                table[e] = entry
            code += 1
            index += 1
        code <<= 1


def _refill(src, slen, ip, buffer, count):
    """Bytes from ``src[ip:]`` into the bit buffer until it holds more than 48 bits or the
    input ends (the bits stay below bit 56 of the int64): ``(ip, buffer, count)``."""
    while count <= 48 and ip < slen:
        buffer |= np.int64(src[ip]) << count
        ip += 1
        count += 8
    return ip, buffer, count


def _codes(src, slen, state, dst, op, cap, lcounts, lsymbols, ltable, dcounts, dsymbols,
           dtable):
    """Decode one Huffman block's symbols into ``dst[op:]``: the new ``op`` or -errno."""
    # The bit buffer lives in locals; codes longer than the fast tables' take the
    # bitwise way through ``state``.  (Written out twice: as one function that returned
    # the symbol and the buffer, the CPU decoded dynamic pages 1.8x slower.)
    ip = state[STATE_IP]
    buffer = state[STATE_BITS]
    count = state[STATE_COUNT]
    while True:
        # 49 bits hold a length's code and extra bits (15 + 5) and its distance's (15 +
        # 13); only the bitwise way, which reads a byte at a time, leaves fewer.
        ip, buffer, count = _refill(src, slen, ip, buffer, count)
        entry = np.int64(ltable[buffer & (FAST_ENTRIES - 1)])
        used = entry & 15
        if used != 0 and used <= count:
            buffer >>= used
            count -= used
            symbol = entry >> 4
        else:
            state[STATE_IP] = ip
            state[STATE_BITS] = buffer
            state[STATE_COUNT] = count
            symbol = _decode(src, slen, state, lcounts, lsymbols)
            ip = state[STATE_IP]
            buffer = state[STATE_BITS]
            count = state[STATE_COUNT]
            if symbol < 0:
                return np.int64(-EINVAL)
        if symbol < 256:
            if op >= cap:
                return np.int64(-EOVERFLOW)
            dst[op] = symbol
            op += 1
        elif symbol == 256:
            state[STATE_IP] = ip
            state[STATE_BITS] = buffer
            state[STATE_COUNT] = count
            return op
        else:
            symbol -= 257
            if symbol >= 29:
                return np.int64(-EINVAL)
            need = LENGTH_EXTRA[symbol]
            if need > count:
                return np.int64(-EINVAL)
            length = LENGTH_BASE[symbol] + (buffer & ((np.int64(1) << need) - 1))
            buffer >>= need
            count -= need
            if count < 28:
                ip, buffer, count = _refill(src, slen, ip, buffer, count)
            entry = np.int64(dtable[buffer & (FAST_ENTRIES - 1)])
            used = entry & 15
            if used != 0 and used <= count:
                buffer >>= used
                count -= used
                symbol = entry >> 4
            else:
                state[STATE_IP] = ip
                state[STATE_BITS] = buffer
                state[STATE_COUNT] = count
                symbol = _decode(src, slen, state, dcounts, dsymbols)
                ip = state[STATE_IP]
                buffer = state[STATE_BITS]
                count = state[STATE_COUNT]
            if symbol < 0 or symbol >= 30:
                return np.int64(-EINVAL)
            need = DIST_EXTRA[symbol]
            if need > count:
                return np.int64(-EINVAL)
            distance = DIST_BASE[symbol] + (buffer & ((np.int64(1) << need) - 1))
            buffer >>= need
            count -= need
            if distance > op:
                return np.int64(-EINVAL)
            if length > cap - op:
                return np.int64(-EOVERFLOW)
            _copy_match(dst, op, distance, length)
            op += length


def _stored(src, slen, state, dst, op, cap):
    """Copy a stored block: the new ``op`` or -errno."""
    # The block's bytes start at the next byte boundary: drop the partial byte's bits
    # and give back the whole bytes the fast decoding buffered ahead.
    ip = state[STATE_IP] - (state[STATE_COUNT] >> 3)
    state[STATE_BITS] = 0
    state[STATE_COUNT] = 0
    if slen - ip < 4:
        return np.int64(-EINVAL)
    length = np.int64(src[ip]) | (np.int64(src[ip + 1]) << 8)
    complement = np.int64(src[ip + 2]) | (np.int64(src[ip + 3]) << 8)
    ip += 4
    if length != (~complement & 0xFFFF):
        return np.int64(-EINVAL)
    # zlib copies what it has: a truncated block that would also overflow overflows first.
    if length > slen - ip:
        return np.int64(-EOVERFLOW) if slen - ip > cap - op else np.int64(-EINVAL)
    if length > cap - op:
        return np.int64(-EOVERFLOW)
    _copy_literals(dst, op, src, ip, length)
    state[STATE_IP] = ip + length
    return op + length


def fixed_codes(tables):
    """The fixed codes in ``tables`` (``FIXED_TABLES`` or a copy): ``(lcounts, lsymbols,
    ltable, dcounts, dsymbols, dtable)``, as ``_codes`` takes them."""
    return (tables[FIXED_LCOUNTS:FIXED_LSYMBOLS], tables[FIXED_LSYMBOLS:FIXED_LTABLE],
            tables[FIXED_LTABLE:FIXED_DCOUNTS], tables[FIXED_DCOUNTS:FIXED_DSYMBOLS],
            tables[FIXED_DSYMBOLS:FIXED_DTABLE], tables[FIXED_DTABLE:FIXED_ENTRIES])


def fill_fixed_tables(tables, lengths, offsets):
    """Build the fixed codes (RFC 1951, 3.2.6) into ``tables`` (``FIXED_ENTRIES`` int16)
    the way a dynamic block's are built; ``lengths`` and ``offsets`` are workspace of
    ``MAX_LITLEN_CODES`` and ``MAX_BITS + 1`` entries."""
    lcounts, lsymbols, ltable, dcounts, dsymbols, dtable = fixed_codes(tables)
    for s in range(144):
        lengths[s] = 8
    for s in range(144, 256):
        lengths[s] = 9
    for s in range(256, 280):
        lengths[s] = 7
    for s in range(280, MAX_LITLEN_CODES):
        lengths[s] = 8
    _construct(lengths, 0, MAX_LITLEN_CODES, lcounts, offsets, lsymbols)
    _fast_table(lcounts, lsymbols, ltable)
    for s in range(MAX_DIST_CODES):
        lengths[s] = 5
    _construct(lengths, 0, MAX_DIST_CODES, dcounts, offsets, dsymbols)
    _fast_table(dcounts, dsymbols, dtable)


def _dynamic_codes(src, slen, state, lengths, lcounts, loffsets, lsymbols, ltable, dcounts,
                   dsymbols, dtable):
    """Read a dynamic block's code sets: 0, or -EINVAL."""
    nlen = _bits(src, slen, state, 5)
    ndist = _bits(src, slen, state, 5)
    ncode = _bits(src, slen, state, 4)
    if nlen < 0 or ndist < 0 or ncode < 0:
        return np.int64(-EINVAL)
    nlen += 257
    ndist += 1
    ncode += 4
    if nlen > MAX_LITLEN_LENGTHS or ndist > MAX_DIST_CODES:
        return np.int64(-EINVAL)
    for k in range(CODE_LENGTH_CODES):
        lengths[k] = 0
    for k in range(ncode):
        value = _bits(src, slen, state, 3)
        if value < 0:
            return np.int64(-EINVAL)
        lengths[CODE_LENGTH_ORDER[k]] = value
    # The code-length code must be complete (zlib refuses anything else).
    if _construct(lengths, 0, CODE_LENGTH_CODES, lcounts, loffsets, lsymbols) != 0:
        return np.int64(-EINVAL)
    # The code-length code is complete and none of its codes is longer than 7 bits: its
    # fast table (in the literal/length code's, built later) answers every input.
    _fast_table(lcounts, lsymbols, ltable)
    ip = state[STATE_IP]
    buffer = state[STATE_BITS]
    count = state[STATE_COUNT]
    total = nlen + ndist
    index = 0
    while index < total:
        ip, buffer, count = _refill(src, slen, ip, buffer, count)
        entry = np.int64(ltable[buffer & (FAST_ENTRIES - 1)])
        used = entry & 15
        if used == 0 or used > count:
            return np.int64(-EINVAL)  # no code (an empty set), or the input ran out
        buffer >>= used
        count -= used
        symbol = entry >> 4
        if symbol < 16:
            lengths[CODE_LENGTH_CODES + index] = symbol
            index += 1
            continue
        value = np.int64(0)
        if symbol == 16:
            if index == 0:
                return np.int64(-EINVAL)  # nothing to repeat
            value = np.int64(lengths[CODE_LENGTH_CODES + index - 1])
            need = 2
            base = 3
        elif symbol == 17:
            need = 3
            base = 3
        else:
            need = 7
            base = 11
        if need > count:
            return np.int64(-EINVAL)
        repeat = base + (buffer & ((np.int64(1) << need) - 1))
        buffer >>= need
        count -= need
        if index + repeat > total:
            return np.int64(-EINVAL)  # more lengths than the block declared
        for k in range(repeat):
            lengths[CODE_LENGTH_CODES + index + k] = value
        index += repeat
    state[STATE_IP] = ip
    state[STATE_BITS] = buffer
    state[STATE_COUNT] = count
    if lengths[CODE_LENGTH_CODES + 256] == 0:
        return np.int64(-EINVAL)  # no end-of-block code
    # As zlib: an incomplete set only if all its codes have length one (a single code).
    left = _construct(lengths, CODE_LENGTH_CODES, nlen, lcounts, loffsets, lsymbols)
    if left < 0 or (left > 0 and lcounts[0] + lcounts[1] != nlen):
        return np.int64(-EINVAL)
    left = _construct(lengths, CODE_LENGTH_CODES + nlen, ndist, dcounts, loffsets, dsymbols)
    if left < 0 or (left > 0 and dcounts[0] + dcounts[1] != ndist):
        return np.int64(-EINVAL)
    _fast_table(lcounts, lsymbols, ltable)
    _fast_table(dcounts, dsymbols, dtable)
    return np.int64(0)


def inflate_page(src, slen, dst, cap, fixed, state, lengths, lcounts, loffsets, lsymbols,
                 ltable, dcounts, dsymbols, dtable):
    """Decode the raw DEFLATE stream ``src[0:slen]`` into ``dst[0:cap]``.

    Returns the decoded length, ``-EOVERFLOW`` if the output would pass ``cap``, or
    ``-EINVAL`` for a malformed stream.  Bytes after the final block are ignored, as
    zlib leaves them unused.  ``fixed``: ``FIXED_TABLES`` or a copy.  Workspace:
    ``state`` int64[3]; ``lengths`` of
    MAX_CODE_LENGTHS; ``lcounts``, ``dcounts``, ``loffsets`` of MAX_BITS + 1;
    ``lsymbols`` of MAX_LITLEN_CODES, ``dsymbols`` of MAX_DIST_CODES, and the fast
    tables ``ltable`` and ``dtable`` of FAST_ENTRIES (int16 or wider).
    """
    state[STATE_IP] = 0
    state[STATE_BITS] = 0
    state[STATE_COUNT] = 0
    op = np.int64(0)
    while True:
        last = _bits(src, slen, state, 1)
        kind = _bits(src, slen, state, 2)
        if last < 0 or kind < 0:
            return np.int64(-EINVAL)
        if kind == 0:
            op = _stored(src, slen, state, dst, op, cap)
        elif kind == 1:
            flcounts, flsymbols, fltable, fdcounts, fdsymbols, fdtable = fixed_codes(fixed)
            op = _codes(src, slen, state, dst, op, cap, flcounts, flsymbols, fltable, fdcounts,
                        fdsymbols, fdtable)
        elif kind == 2:
            err = _dynamic_codes(src, slen, state, lengths, lcounts, loffsets, lsymbols,
                                 ltable, dcounts, dsymbols, dtable)
            if err < 0:
                return err
            op = _codes(src, slen, state, dst, op, cap, lcounts, lsymbols, ltable, dcounts,
                        dsymbols, dtable)
        else:
            return np.int64(-EINVAL)
        if op < 0 or last == 1:
            return op


CODEC_FUNCTIONS = ("_bits", "_construct", "_decode", "_reversed", "_fast_table", "_refill",
                   "_codes", "_stored", "fixed_codes", "_dynamic_codes", "inflate_page")


def _built_fixed_tables():
    tables = np.zeros(FIXED_ENTRIES, np.int16)
    fill_fixed_tables(tables, np.zeros(MAX_LITLEN_CODES, np.int16),
                      np.zeros(MAX_BITS + 1, np.int16))
    tables.flags.writeable = False
    return tables


FIXED_TABLES = _built_fixed_tables()
