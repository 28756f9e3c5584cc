"""Per-page LZ4 block codec, written once for the CPU (numba njit) and CUDA (device functions).

The parse
---------
For a page ``src[0:n]`` (0 <= n <= 65536) the compressed output is one raw LZ4 block
(``LZ4_decompress_safe`` / ``lz4.block.decompress(block, uncompressed_size=n)`` decode it).
The sequence of matches is defined so that any implementation, serial or parallel,
reaches the same bytes:

1. ``key(i)`` is the 4 bytes ``src[i:i+4]``.  Matches may start only at ``i < n - 12``
   and must end by ``n - 5`` (the block format's end rules), so pages of fewer than 13
   bytes are all literals.
2. The *candidates* at ``i`` are the earlier positions ``j < i`` with ``key(j) == key(i)``,
   most recent first, at most ``max_candidates`` of them (default 4).  Every position
   counts, including those inside earlier matches: the candidate set depends only on the
   page, never on the parse, so a GPU can compute it for all positions at once
   (sort the positions by key) while the CPU keeps a hash chain.
3. The length of a candidate is the longest common run ``src[j:j+L] == src[i:i+L]`` with
   ``i + L <= n - 5``.  Candidates are compared on ``min(L, 64)`` (``SELECT_CAP``): the
   best is the longest, ties go to the most recent (smallest offset).  The chosen match
   then takes its full length ``L``.  (Comparing beyond 64 bytes gained 0.3% on the heap
   pages and made every long run cost a full comparison per candidate.)
4. Greedy: scanning from ``i = 0``, if ``i`` has a candidate, emit the literals since the
   last match and the chosen match, and continue at ``i + L``; otherwise advance by one.
   The remaining bytes are the final literals.
5. Lazy (an option, ``lazy``): a position whose best candidate, compared as in 3, is
   shorter than the next position's counts as having none, so the scan emits it as a
   literal and goes on to the next position, where the same rule applies again.  It
   depends only on the compared lengths of ``i`` and ``i + 1``, so a parallel parse can
   drop such positions from its set of match starts first and then walk greedily.
   (It compresses the memory corpus 2.5-4% better; there 3 candidates with it beat 4
   without.)

How the candidates are found is not part of the definition.  ``encode_page`` walks a
chain ``prev`` in which each position links to an earlier position whose key *may* be
equal (a hash chain, with collisions) or is equal (the exact chain), and skips links
whose key differs; both chains give the same candidates, so both give the same bytes.

Return values are produced lengths (>= 0) or negative errno values, as the kernel's
acomp drivers report them: ``-E2BIG`` when a compressed page does not fit the caller's
capacity (never truncated), ``-EOVERFLOW`` when a decompressed page would exceed its
capacity, ``-EINVAL`` for a malformed block.

The functions here take only arrays and integers so that ``retarget`` can recompile
them as CUDA device functions; ``compile_cpu`` gives the njit versions.
"""

import numpy as np

MIN_MATCH = 4
MATCH_START_MARGIN = 12  # the last match starts at least 12 bytes before the end
LAST_LITERALS = 5  # the last 5 bytes are always literals
MAX_PAGE_SIZE = 65536  # offsets are 16-bit, so every earlier position of a page is in reach
DEFAULT_CANDIDATES = 4
# The parse's default level is greedy: the lazy step's ratio costs the CPU a fifth of its
# speed, and what it costs a GPU is not measured yet (bench/RESULTS.md).
DEFAULT_LAZY = False
SELECT_CAP = 64  # candidates are compared on their first 64 bytes (see the parse)
# The CUDA kernels keep a page, its sort keys and its chain in shared memory (45 KiB).
GPU_MAX_PAGE_SIZE = 4096

HASH_LOG = 14
HASH_MASK = (1 << HASH_LOG) - 1

E2BIG = 7
EINVAL = 22
EOVERFLOW = 75


def compress_bound(n):
    """Worst-case compressed size of ``n`` input bytes (liblz4's LZ4_COMPRESSBOUND)."""
    return n + n // 255 + 16


def _length_field_size(length):
    # Bytes that follow the token for a length that overflows its 4-bit nibble.
    if length < 15:
        return 0
    return (length - 15) // 255 + 1


def _write_length(dst, op, length):
    # Continuation bytes of a length >= 15: runs of 255, then the remainder.
    rest = length - 15
    while rest >= 255:
        dst[op] = 255
        op += 1
        rest -= 255
    dst[op] = rest
    return op + 1


def sequence_size(literal_count, match_length):
    """Bytes of one sequence; a final sequence has ``match_length == 0`` and no offset."""
    size = 1 + _length_field_size(literal_count) + literal_count
    if match_length > 0:
        size += 2 + _length_field_size(match_length - MIN_MATCH)
    return size


def write_sequence(src, anchor, literal_count, offset, match_length, dst, op, copy_literals):
    """Write one sequence at ``dst[op]`` (the caller checked it fits); returns the end.

    With ``copy_literals`` false the literal bytes are left for the caller to copy
    (the GPU copies long literal runs with the whole thread block).
    """
    match_nibble = 0
    if match_length > 0:
        match_nibble = min(match_length - MIN_MATCH, 15)
    dst[op] = (min(literal_count, 15) << 4) | match_nibble
    op += 1
    if literal_count >= 15:
        op = _write_length(dst, op, literal_count)
    if copy_literals:
        # Unsigned indices, as in decode_block: an incompressible page is one run of
        # literals, which this made 1.3x faster to compress on the CPU.
        at = np.uint64(op)
        start = np.uint64(anchor)
        for k in range(np.uint64(literal_count)):
            dst[at + k] = src[start + k]
    op += literal_count
    if match_length > 0:
        dst[op] = offset & 0xFF
        dst[op + 1] = offset >> 8
        op += 2
        if match_length - MIN_MATCH >= 15:
            op = _write_length(dst, op, match_length - MIN_MATCH)
    return op


def _same_key(src, i, j):
    return (src[i] == src[j] and src[i + 1] == src[j + 1]
            and src[i + 2] == src[j + 2] and src[i + 3] == src[j + 3])


def best_match(src, i, prev, match_end_limit, max_candidates, cap, window):
    """The best candidate at ``i`` as ``(length, offset)``; length 0 when there is none.

    Candidates are compared on their length up to ``cap`` (the parse uses
    ``SELECT_CAP``); a candidate that reaches ``cap`` ends the search, since no later
    one can beat it.  ``prev`` is a hash chain: links whose key differs are skipped.
    Only positions at most ``window`` bytes back count (chains run backwards, so the
    first one beyond it ends the search).
    """
    best_length = 0
    best_offset = 0
    found = 0
    j = prev[i]
    while j >= 0 and found < max_candidates and i - j <= window:
        if _same_key(src, i, j):
            found += 1
            # Only a candidate that also matches at best_length can beat the best.
            if best_length > 0 and (i + best_length >= match_end_limit
                                    or src[j + best_length] != src[i + best_length]):
                j = prev[j]
                continue
            length = _common_length(src, i, j, MIN_MATCH, cap, match_end_limit)
            if length > best_length:
                best_length = length
                best_offset = i - j
                if length == cap or i + length == match_end_limit:
                    break  # capped, or nothing longer exists (an older tie would lose)
        j = prev[j]
    return best_length, best_offset


def _carried_length(offset, e0, e1, e2, e3):
    # The length measured at the next position for this offset, or -1.  An entry is
    # offset | length << 16 (offsets below 65536, lengths below 65536; 0: empty).
    if offset == e0 & 0xFFFF:
        return e0 >> 16
    if offset == e1 & 0xFFFF:
        return e1 >> 16
    if offset == e2 & 0xFFFF:
        return e2 >> 16
    if offset == e3 & 0xFFFF:
        return e3 >> 16
    return -1


def segment_best_matches(src, first, last, prev, match_end_limit, max_candidates, cap,
                         window, lengths, offsets):
    """``best_match`` of every position ``first <= i < last`` into ``lengths[i]``,
    ``offsets[i]`` (0, 0 where there is none), with fewer byte comparisons.

    It goes down from ``last - 1`` and carries the lengths measured at ``i + 1``: a
    candidate ``j`` of ``i`` at an offset that was measured there (as ``j + 1``, up to
    ``cap``) matches one byte more at ``i``, up to ``cap``, because ``src[i] ==
    src[j]``.  That byte is also all of the key left to check, the next three having
    matched at ``i + 1``.  Only candidates new at ``i`` are compared byte by byte: in a
    run of matching positions, the segment's last one.  The results are
    ``best_match``'s: the same candidates in the same order, the same lengths, the same
    choice (tests check this at every position of the corpus).  The GPU kernels give
    each thread a segment; the carried entries are 32-bit, which keeps them in four
    registers.
    """
    e0 = e1 = e2 = e3 = np.int32(0)  # offset | length << 16 of up to 4 candidates at i + 1
    for i in range(last - 1, first - 1, -1):
        best_length = 0
        best_offset = 0
        found = 0
        kept = 0
        f0 = f1 = f2 = f3 = np.int32(0)  # the entries of i
        j = prev[i]
        while j >= 0 and found < max_candidates and i - j <= window:
            offset = i - j
            carried = _carried_length(offset, e0, e1, e2, e3)
            if carried >= 0:
                same_key = src[i] == src[j]
            else:
                same_key = _same_key(src, i, j)
            if same_key:
                found += 1
                if carried >= 0:
                    length = min(cap, carried + 1)
                elif best_length > 0 and (i + best_length >= match_end_limit
                                          or src[j + best_length] != src[i + best_length]):
                    j = prev[j]
                    continue  # cannot beat the best (best_match's test)
                else:
                    length = _common_length(src, i, j, MIN_MATCH, cap, match_end_limit)
                entry = np.int32(np.int64(offset) | (length << 16))  # (the simulator: int16)
                if kept == 0:
                    f0 = entry
                elif kept == 1:
                    f1 = entry
                elif kept == 2:
                    f2 = entry
                elif kept == 3:
                    f3 = entry
                kept += 1
                if length > best_length:
                    best_length = length
                    best_offset = offset
                    if length == cap or i + length == match_end_limit:
                        break
            j = prev[j]
        lengths[i] = best_length
        offsets[i] = best_offset
        e0, e1, e2, e3 = f0, f1, f2, f3


def segment_stretch(count, threads):
    """Positions per thread when ``threads`` GPU threads split ``count`` positions into
    segments: an odd number, because a warp's lanes work a segment apart in step, and
    with 16 (4096 positions, 256 threads) their bytes fall 4 to a shared-memory bank and
    their 16-bit entries 8 to a bank, where 17 puts at most 3 and 2."""
    return ((count + threads - 1) // threads) | 1


def defers_to_next(src, i, length, prev, match_end_limit, max_candidates, cap, window,
                   starts):
    """Step 5 of the parse: True where ``i + 1`` (below ``starts``, the positions where a
    match may start) has a longer best candidate than ``length``, ``i``'s, so that ``i``
    is a literal.  The search of ``i + 1`` is not kept for the next step: both codecs'
    parses once held it, and their loops, greedy ones included, ran a fifth slower on
    the CPU (bench/RESULTS.md)."""
    if 0 < length < cap and i + 1 < starts and prev[i + 1] >= 0:
        next_length, _ = best_match(src, i + 1, prev, match_end_limit, max_candidates, cap,
                                    window)
        return next_length > length
    return False


def extend_match(src, i, j, length, match_end_limit):
    """Extend a match of ``length`` bytes between ``i`` and ``j < i`` as far as it goes."""
    return _common_length(src, i, j, length, match_end_limit, match_end_limit)


def _common_length(src, i, j, length, cap, match_end_limit):
    """The first ``k >= length`` where ``src[j + k] != src[i + k]``, at most ``cap`` and
    at most ``match_end_limit - i`` (the first ``length`` bytes are known to be equal).
    The GPU kernels put a version that compares four bytes at a time in its place."""
    while (length < cap and i + length < match_end_limit
           and src[j + length] == src[i + length]):
        length += 1
    return length


def encode_page(src, n, prev, dst, cap, max_candidates, lazy):
    """Compress ``src[0:n]`` into ``dst[0:cap]`` with the parse of the module docstring
    (``lazy``: with its step 5).

    ``prev[i]`` (for ``i < n - 12``) is the previous link of ``i``'s chain, or -1.
    Returns the compressed length, or ``-E2BIG`` if it would exceed ``cap``.
    """
    op = 0
    anchor = 0
    match_start_end = n - MATCH_START_MARGIN
    match_end_limit = n - LAST_LITERALS
    i = 1  # position 0 has no earlier position
    while i < match_start_end:
        if prev[i] < 0:  # most positions of incompressible data: skip the search
            i += 1
            continue
        length, offset = best_match(src, i, prev, match_end_limit, max_candidates, SELECT_CAP,
                                    MAX_PAGE_SIZE)
        if length == 0 or (lazy and defers_to_next(src, i, length, prev, match_end_limit,
                                                   max_candidates, SELECT_CAP, MAX_PAGE_SIZE,
                                                   match_start_end)):
            i += 1
            continue
        if length == SELECT_CAP:
            length = extend_match(src, i, i - offset, length, match_end_limit)
        if op + sequence_size(i - anchor, length) > cap:
            return -E2BIG
        op = write_sequence(src, anchor, i - anchor, offset, length, dst, op, True)
        i += length
        anchor = i
    if op + sequence_size(n - anchor, 0) > cap:
        return -E2BIG
    return write_sequence(src, anchor, n - anchor, 0, 0, dst, op, True)


def hash_chain(src, n, head, base, prev):
    """Link each LZ4 match-start position of a page of ``n`` bytes (``link_positions``
    with a table of ``1 << HASH_LOG`` entries)."""
    link_positions(src, n - MATCH_START_MARGIN, head, HASH_LOG, base, prev)


def link_positions(src, count, head, hash_log, base, prev):
    """Link each position ``i < count`` to the last earlier position of the same hash of
    its 4-byte key (``src[i + 3]`` must exist), or -1.

    ``head`` is a table of ``1 << hash_log`` entries shared by consecutive pages:
    entries below ``base`` belong to earlier pages and read as empty, so the table is
    never cleared between pages.  The caller advances ``base`` by the page size.  The
    table's size changes only the collisions, which ``best_match`` skips, never a match.
    """
    for i in range(count):
        key = (np.uint64(src[i]) | (np.uint64(src[i + 1]) << 8)
               | (np.uint64(src[i + 2]) << 16) | (np.uint64(src[i + 3]) << 24))
        # (a 64-bit product: the simulator's numpy scalars warn when 32 bits wrap)
        h = ((key * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)) >> np.uint64(32 - hash_log)
        last = head[h]
        if last >= base:
            prev[i] = last - base
        else:
            prev[i] = -1
        head[h] = base + i


SEQUENCE_MATCH = 0  # parse_sequence: a sequence with a match follows its literals
SEQUENCE_FINAL = 1  # parse_sequence: the block's last sequence (literals only)


def _read_length(src, limit, ip, length):
    """Add the continuation bytes of a 15-valued nibble, each read from below ``limit``;
    ip = -1 when one is not."""
    while True:
        if ip >= limit:
            return -1, length
        extra = np.int64(src[ip])
        ip += 1
        length += extra
        if extra != 255:
            return ip, length


# How LZ4_decompress_safe (liblz4 1.9.4) walks a block, which decides what it accepts:
# a fast loop while at least FAST_ROOM bytes of output remain, then a careful loop with a
# shortcut for short sequences far from both ends (SHORTCUT_INPUT, SHORTCUT_OUTPUT).
FAST_ROOM = 64
SHORTCUT_INPUT = 16
SHORTCUT_OUTPUT = 32


def _match_fits(op, match_length, offset, cap):
    """The careful loop's checks of a match: 0, or the errno.  A match that ends within
    ``LAST_LITERALS`` bytes of the capacity overflows it: a block's last
    ``LAST_LITERALS`` bytes are literals, so this block ends past the capacity."""
    if offset == 0 or offset > op:
        return -EINVAL
    if op + match_length > cap - LAST_LITERALS:
        return -EOVERFLOW
    return 0


def parse_sequence(src, slen, ip, op, cap, fast):
    """Read and check the sequence at ``src[ip]`` when ``op`` bytes are already decoded.

    Returns ``(kind, next_ip, literal_start, literal_count, offset, match_length, fast)``:
    kind is ``SEQUENCE_MATCH``, ``SEQUENCE_FINAL`` or a negative errno (``-EOVERFLOW``:
    the output would pass ``cap``; ``-EINVAL``: anything else malformed).  Everything a
    decoder copies is checked here, so copies need no checks.  ``fast`` (True for the
    first sequence when ``cap >= FAST_ROOM``) carries liblz4's loop from one sequence to
    the next.

    The checks are LZ4_decompress_safe's (liblz4 1.9.4), so that we accept exactly the
    blocks it accepts, with one exception: an offset of 0, which the format forbids and
    liblz4 lets through (it copies output it has not written), is -EINVAL here.  Near
    the ends of the input and the capacity liblz4 holds a block to the format's end rules:
    literals that end less than ``MATCH_START_MARGIN`` bytes before the capacity, or leave
    fewer than 8 bytes of input (an offset, a token and ``LAST_LITERALS``), must be the
    block's last, and a match must end ``LAST_LITERALS`` bytes before the capacity.  Far
    from the ends its fast loop and its shortcut skip those checks, and so do we.  Length
    bytes are read from below ``slen - 15`` (literals) or ``slen - 4`` (matches).
    """
    if ip >= slen:
        return -EINVAL, ip, 0, 0, 0, 0, fast
    token = np.int64(src[ip])
    ip += 1
    literal_count = token >> 4
    match_length = token & 15
    careful_literals = True
    careful_match = True
    if fast:
        if literal_count == 15:
            ip, literal_count = _read_length(src, slen - 15, ip, literal_count)
            if ip < 0:
                return -EINVAL, ip, 0, 0, 0, 0, fast
            careful_literals = (op + literal_count > cap - SHORTCUT_OUTPUT
                                or ip + literal_count > slen - SHORTCUT_OUTPUT)
        else:
            careful_literals = ip > slen - (SHORTCUT_INPUT + 1)
        fast = not careful_literals
    elif literal_count != 15 and ip < slen - SHORTCUT_INPUT and op <= cap - SHORTCUT_OUTPUT:
        careful_literals = False  # the shortcut
    elif literal_count == 15:
        ip, literal_count = _read_length(src, slen - 15, ip, literal_count)
        if ip < 0:
            return -EINVAL, ip, 0, 0, 0, 0, fast
    literal_start = ip
    if careful_literals and (op + literal_count > cap - MATCH_START_MARGIN
                             or ip + literal_count > slen - (3 + LAST_LITERALS)):
        # These literals must be the block's last.
        if ip + literal_count == slen:
            if literal_count > cap - op:
                return -EOVERFLOW, ip, 0, 0, 0, 0, fast
            return (SEQUENCE_FINAL, slen, literal_start, literal_count, np.int64(0),
                    np.int64(0), fast)
        if ip + literal_count > slen - (3 + LAST_LITERALS):
            return -EINVAL, ip, 0, 0, 0, 0, fast  # truncated, or no room for a sequence
        # The block goes on, and its next match must start MATCH_START_MARGIN bytes
        # before its end: it ends past the capacity.
        return -EOVERFLOW, ip, 0, 0, 0, 0, fast
    ip += literal_count
    op += literal_count
    offset = np.int64(src[ip]) | (np.int64(src[ip + 1]) << 8)  # the checks left room
    ip += 2
    if not fast and not careful_literals:
        # The shortcut takes a short match from far enough back without further checks.
        careful_match = match_length == 15 or offset < 8 or offset > op
    if match_length == 15:
        ip, match_length = _read_length(src, slen - (LAST_LITERALS - 1), ip, match_length)
        if ip < 0:
            return -EINVAL, ip, 0, 0, 0, 0, fast
    match_length += MIN_MATCH
    if fast and op + match_length >= cap - FAST_ROOM:
        fast = False
    if fast or not careful_match:
        error = -EINVAL if offset == 0 or offset > op else 0
    else:
        error = _match_fits(op, match_length, offset, cap)
    if error < 0:
        return error, ip, 0, 0, 0, 0, fast
    return SEQUENCE_MATCH, ip, literal_start, literal_count, offset, match_length, fast


SEQUENCE_CAREFUL = 2  # fast_sequence: this sequence needs parse_sequence


def fast_sequence(src, slen, ip, op, cap):
    """``parse_sequence(src, slen, ip, op, cap, True)`` for the sequences that liblz4's
    fast loop takes without a second look, in fewer steps; ``SEQUENCE_CAREFUL`` for the
    others, which ``parse_sequence`` must read.

    Returns ``(kind, next_ip, literal_count, offset, match_length)``; the literals start
    at ``ip + 1`` and ``fast`` stays True.  Taken here: a token at least
    ``SHORTCUT_INPUT + 2`` bytes before the input's end, a literal run of fewer than 15
    bytes, and a match that ends at least ``FAST_ROOM`` bytes before the capacity (past
    it the loop turns careful).  Most sequences of a page are of this kind; a decoder's time goes
    into them, so they are worth a path without the tests they cannot fail.
    """
    if ip > slen - (SHORTCUT_INPUT + 2):
        return SEQUENCE_CAREFUL, ip, 0, 0, 0
    token = src[ip]
    literal_count = np.int64(token >> 4)
    if literal_count == 15:
        return SEQUENCE_CAREFUL, ip, 0, 0, 0
    next_ip = ip + 1 + literal_count
    # (at most slen - 3: the offset is in the input)
    offset = np.int64(src[next_ip]) | (np.int64(src[next_ip + 1]) << 8)
    next_ip += 2
    match_length = np.int64(token & 15)
    if match_length == 15:
        next_ip, match_length = _read_length(src, slen - (LAST_LITERALS - 1), next_ip,
                                             match_length)
        if next_ip < 0:
            return -EINVAL, ip, 0, 0, 0
    match_length += MIN_MATCH
    match_start = op + literal_count
    if match_start + match_length >= cap - FAST_ROOM:
        return SEQUENCE_CAREFUL, ip, 0, 0, 0
    if offset == 0 or offset > match_start:
        return -EINVAL, ip, 0, 0, 0
    return SEQUENCE_MATCH, next_ip, literal_count, offset, match_length


def next_sequence(src, slen, ip, op, cap, fast):
    """``parse_sequence``'s result, by ``fast_sequence`` where that can tell."""
    if fast:
        kind, next_ip, literal_count, offset, match_length = fast_sequence(src, slen, ip, op,
                                                                           cap)
        if kind != SEQUENCE_CAREFUL:
            return kind, next_ip, ip + 1, literal_count, offset, match_length, fast
    return parse_sequence(src, slen, ip, op, cap, fast)


def decode_block(src, slen, dst, cap):
    """Decode the LZ4 block ``src[0:slen]`` into ``dst[0:cap]``.

    Every field is checked (``parse_sequence``) before it is used, so no input reads or
    writes out of bounds.  Returns the decoded length, ``-EOVERFLOW`` if the output would
    pass ``cap``, or ``-EINVAL`` for a malformed block.
    """
    if cap == 0 and slen == 1 and src[0] != 0:
        return -EINVAL  # into no room liblz4 decodes the empty block only: one zero byte
    ip = 0
    op = 0
    fast = cap >= FAST_ROOM
    while True:
        kind, ip, literal_start, literal_count, offset, match_length, fast = parse_sequence(
            src, slen, ip, op, cap, fast)
        if kind < 0:
            return kind
        _copy_literals(dst, op, src, literal_start, literal_count)
        op += literal_count
        if kind == SEQUENCE_FINAL:
            return op
        _copy_match(dst, op, offset, match_length)
        op += match_length


# The decoder's copies, checked by parse_sequence first.  Unsigned indices: numba tests
# signed ones for wraparound at every access, which cost the CPU decoder 40% of its
# speed (bench/RESULTS.md) and the GPU kernel twice the instructions a copied byte.  The
# CPU backends put versions that copy eight bytes a step in their place (host_words).

def _copy_literals(dst, at, src, start, count):
    """``dst[at:at + count] = src[start:start + count]``."""
    at = np.uint64(at)
    start = np.uint64(start)
    for k in range(np.uint64(count)):
        dst[at + k] = src[start + k]


def _copy_match(dst, at, offset, count):
    """The match of ``count`` bytes at ``offset`` back, byte by byte: an overlapping
    match (``offset < count``) repeats its own output."""
    at = np.uint64(at)
    start = at - np.uint64(offset)
    for k in range(np.uint64(count)):
        dst[at + k] = dst[start + k]


CODEC_FUNCTIONS = (
    "_length_field_size", "_write_length", "sequence_size", "write_sequence", "_same_key",
    "_common_length", "best_match", "defers_to_next", "_carried_length", "segment_best_matches",
    "extend_match", "encode_page", "hash_chain", "link_positions", "_read_length",
    "_match_fits", "parse_sequence", "fast_sequence", "next_sequence", "decode_block",
    "_copy_literals", "_copy_match",
)
