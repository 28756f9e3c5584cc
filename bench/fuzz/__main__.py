"""``python -m bench.fuzz [--codec deflate|lz4] --cases N --seed S [--corpus FILE]
[--boundscheck]``."""

import argparse
import os
import subprocess
import sys
import tempfile
import time

from bench.fuzz import codec_module, run


def _short(result):
    if isinstance(result, (bytes, bytearray)):
        return f"{len(result)} bytes"
    return "an error" if result is None else str(result)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.fuzz",
        description="Differential fuzzing of our decoders against zlib and liblz4.")
    parser.add_argument("--codec", choices=("deflate", "lz4"), default="deflate")
    parser.add_argument("--cases", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus", help="a file of pages to start from (default: built-in pages)")
    parser.add_argument("--boundscheck", action="store_true",
                        help="compile our codecs with numba's bounds checks, so that an index "
                        "outside an array raises (in its own numba cache; slower)")
    args = parser.parse_args(argv)
    if args.boundscheck and os.environ.get("NUMBA_BOUNDSCHECK") != "1":
        return _rerun_with_bounds_checks(sys.argv[1:] if argv is None else argv)
    reference = codec_module(args.codec).REFERENCE
    start = time.perf_counter()
    allowed = {}
    found = run(args.codec, args.cases, args.seed, args.corpus,
                progress=lambda line: print(line, file=sys.stderr, flush=True), allowed=allowed)
    if found is not None:
        n, block, capacity, expected, got = found
        print(f"DISAGREEMENT at case {n}: {reference} {_short(expected)}, ours {_short(got)}; "
              f"capacity {capacity}; input {block.hex()}")
        return 1
    print(f"{args.codec}: {args.cases} cases, seed {args.seed}: ours and {reference} agree on "
          f"every one ({time.perf_counter() - start:.0f} s)")
    if allowed:
        print("  of them, differing as allowed: "
              + ", ".join(f"{reason} {count}" for reason, count in sorted(allowed.items())))
    return 0


def _rerun_with_bounds_checks(argv):
    """numba reads NUMBA_BOUNDSCHECK once, at import: the run goes on in a fresh
    interpreter.  Its builds are cached apart from the usual ones."""
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1",
               NUMBA_CACHE_DIR=os.path.join(tempfile.gettempdir(), "gpuacomp-boundscheck-cache"))
    return subprocess.run([sys.executable, "-m", "bench.fuzz", *argv], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
