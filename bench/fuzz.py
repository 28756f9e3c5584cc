"""``python -m bench.fuzz``: differential fuzzing of our raw DEFLATE decoder against zlib.

Each case is a stream of a page, then mutated: bit flips, byte edits, truncation.  The
streams come from zlib (any level, window 2^9..2^15, any strategy) or, for a fifth of
them, from our deflate-iaa and deflate-iaa-dynamic; a quarter of the cases are random
bytes.
Ours must agree with zlib on every one: the same bytes, or an error status where zlib
fails (-EOVERFLOW where zlib's output passes the capacity; either, for a malformed
stream that also passes it).  A disagreement stops the
run and prints the input in hex, to become a regression test.
"""

import argparse
import random
import sys
import time
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
    """Whether our result matches zlib's verdict.  A malformed stream whose error comes
    after ``capacity`` bytes of output may fail either way: which failure a decoder
    reports first is its own choice (zlib's own depends on its buffer sizes)."""
    if verdict == EITHER:
        return ours in (EINVAL, EOVERFLOW)
    if verdict == EINVAL and ours == EOVERFLOW:
        return passes_capacity_before_error(block, capacity)
    return verdict == ours


def cases(rng, pages, ours):
    """Endless ``(block, capacity)``: mutations of zlib's streams of ``pages`` and of the
    streams in ``ours``, and random bytes."""
    while True:
        if rng.random() < 0.25:
            yield bytes(rng.randrange(256) for _ in range(rng.randrange(64))), PAGE
            continue
        if rng.random() < 0.2:
            block = bytearray(rng.choice(ours))
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


def _short(verdict):
    return verdict if isinstance(verdict, (int, str)) else f"{len(verdict)} bytes"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", help="a file of pages to start from (default: built-in pages)")
    args = parser.parse_args(argv)
    from gpuacomp.backends.inflate import inflate

    rng = random.Random(args.seed)
    pages = [bytes(PAGE), b"\xa5" * PAGE, (b"the quick brown fox " * 205)[:PAGE],
             np.random.default_rng(args.seed).integers(0, 256, PAGE, dtype=np.uint8).tobytes()]
    if args.corpus:
        raw = open(args.corpus, "rb").read()
        pages += [raw[i:i + PAGE] for i in range(0, min(len(raw), 64 * PAGE), PAGE)]
    ours = our_streams(pages)
    start = time.perf_counter()
    for n, (block, capacity) in enumerate(cases(rng, pages, ours), 1):
        expected, ours = zlib_verdict(block, capacity), inflate(block, capacity)
        if not agrees(block, capacity, expected, ours):
            print(f"DISAGREEMENT at case {n}: zlib {_short(expected)}, ours {_short(ours)}; "
                  f"capacity {capacity}; input {block.hex()}")
            return 1
        if n % 100000 == 0:
            print(f"[fuzz {time.perf_counter() - start:6.1f}s] {n} cases agree", file=sys.stderr)
        if n == args.cases:
            break
    print(f"{args.cases} cases, seed {args.seed}: ours and zlib agree on every one "
          f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
