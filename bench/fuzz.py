"""``python -m bench.fuzz``: differential fuzzing of our raw DEFLATE decoder against zlib.

Each case is a zlib stream of a page (any level, window 2^9..2^15, any strategy), then
mutated: bit flips, byte edits, truncation; a quarter of the cases are random bytes.
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


def output_before_error(block):
    """How many bytes zlib writes before it finds the error in ``block``."""
    stream = zlib.decompressobj(-15)
    written = 0
    for i in range(len(block)):
        try:
            written += len(stream.decompress(block[i:i + 1]))
        except zlib.error:
            break
    return written


def agrees(block, capacity, verdict, ours):
    """Whether our result matches zlib's verdict.  A malformed stream whose error comes
    after ``capacity`` bytes of output may fail either way: which failure a decoder
    reports first is its own choice (zlib's own depends on its buffer sizes)."""
    if verdict == EITHER:
        return ours in (EINVAL, EOVERFLOW)
    if verdict == EINVAL and ours == EOVERFLOW:
        return output_before_error(block) > capacity
    return verdict == ours


def cases(rng, pages):
    while True:
        if rng.random() < 0.25:
            yield bytes(rng.randrange(256) for _ in range(rng.randrange(64))), PAGE
            continue
        stream = zlib.compressobj(rng.randrange(10), zlib.DEFLATED, -rng.randrange(9, 16), 8,
                                  rng.choice(STRATEGIES))
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
    start = time.perf_counter()
    for n, (block, capacity) in enumerate(cases(rng, pages), 1):
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
