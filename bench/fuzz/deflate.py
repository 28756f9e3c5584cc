"""Raw DEFLATE: our decoder against zlib.

Each case is a stream of a page, then mutated: bit flips, byte edits, truncation.  The
streams come from zlib (any level, window 2^9..2^15, any strategy) or, for a fifth of
them, from our deflate-iaa and deflate-iaa-dynamic; a quarter of the cases are random
bytes.  Ours must agree with zlib on every one: the same bytes, or an error status where
zlib fails (-EOVERFLOW where zlib's output passes the capacity; either, for a malformed
stream that also passes it).
"""

import zlib

import numpy as np

PAGE = 4096
STRATEGIES = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE,
              zlib.Z_FIXED)


EINVAL, EOVERFLOW = -22, -75
EITHER = "error or overflow"


def zlib_verdict(block, capacity):
    """What zlib makes of ``block`` with room for ``capacity`` bytes: the bytes, EINVAL,
    EOVERFLOW, or EITHER for a truncated stream that also passes the capacity."""
    stream = zlib.decompressobj(-15)
    try:
        out = stream.decompress(block, 1 << 20)
    except zlib.error:
        return EINVAL
    if stream.eof:
        return out if len(out) <= capacity else EOVERFLOW
    return EITHER if len(out) > capacity else EINVAL  # truncated


def passes_capacity_before_error(block, capacity):
    """Whether zlib writes more than ``capacity`` bytes of the malformed ``block`` before
    it finds the error.

    zlib decodes a whole symbol before it writes any of it, so given room for ``r``
    bytes it fails exactly when the valid symbols before the error write at most ``r``:
    with room for ``capacity`` bytes it stops for want of room, without the error, iff
    they write more.  (Python's zlib takes room 0 as no limit: capacity 0 asks with room
    1, which can only err towards a reported disagreement.  Feeding zlib a byte at a time
    cannot tell either: Python drops the output of the call that fails, and one input
    byte can carry a 258-byte match and a bad code after it.)"""
    try:
        zlib.decompressobj(-15).decompress(block, 1 << 20)
        return False  # no error at all: a truncated stream
    except zlib.error:
        pass
    try:
        zlib.decompressobj(-15).decompress(block, max(capacity, 1))
    except zlib.error:
        return False
    return True


def agrees(block, capacity, verdict, ours):
    """Whether our result matches zlib's verdict: True, or the reason the difference is
    allowed.  A malformed stream whose error comes after ``capacity`` bytes of output may
    fail either way: which failure a decoder reports first is its own choice (zlib's
    own depends on its buffer sizes)."""
    if verdict == EITHER:
        return "truncated past the capacity" if ours in (EINVAL, EOVERFLOW) else False
    if verdict == EINVAL and ours == EOVERFLOW:
        return ("error past the capacity" if passes_capacity_before_error(block, capacity)
                else False)
    return verdict == ours


REFERENCE = "zlib"


def ours(block, capacity):
    from gpuacomp.backends.inflate import inflate
    return inflate(block, capacity)


verdict = zlib_verdict


def cases(rng, pages):
    """Endless ``(block, capacity)``: mutations of zlib's streams of ``pages`` and of our
    own, and random bytes."""
    own = our_streams(pages)
    while True:
        if rng.random() < 0.25:
            yield bytes(rng.randrange(256) for _ in range(rng.randrange(64))), PAGE
            continue
        if rng.random() < 0.2:
            block = bytearray(rng.choice(own))
        else:
            stream = zlib.compressobj(rng.randrange(10), zlib.DEFLATED, -rng.randrange(9, 16),
                                      8, rng.choice(STRATEGIES))
            block = bytearray(stream.compress(rng.choice(pages)) + stream.flush())
        for _ in range(rng.randrange(1, 4)):
            kind = rng.randrange(3)
            if kind == 0:
                block[rng.randrange(len(block))] ^= 1 << rng.randrange(8)
            elif kind == 1:
                block[rng.randrange(len(block))] = rng.randrange(256)
            else:
                del block[rng.randrange(len(block)):]
            if not block:
                block = bytearray(b"\x00")
        yield bytes(block), rng.choice((PAGE, PAGE, rng.randrange(PAGE + 1)))


def our_streams(pages):
    """Every page through both IAA deflate drivers (CPU path)."""
    from gpuacomp import Compressor

    batch = np.stack([np.frombuffer(p, np.uint8) for p in pages])
    streams = []
    for driver in ("deflate-iaa", "deflate-iaa-dynamic"):
        compressed = Compressor(driver, device="cpu").compress(batch)
        streams += [compressed.page(i) for i in range(len(pages))]
    return streams


