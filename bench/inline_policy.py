"""``python -m bench.inline_policy``: the IAA deflate encoder compiled for the CPU two
ways, side by side in one process: every function inlined into its callers, and the
block setup (``deflate_encode.BLOCK_SETUP``) compiled once and called, as the CPU
backend compiles it (``cpu.codec_compiler``).

For each variant and mode, the first call's time (the compile, which the called
functions' share of falls on the first mode), then the median MB/s of alternating
rounds on one thread over the same pages; both variants must write the same bytes.
Pages: the project's default pages, or ``--corpus`` files or directories.  Compiling
takes most of the run (about three minutes on a 2-core VM).
"""

import sys
import time

import numpy as np

from bench.common import Progress, corpus_sources, markdown_table, side_by_side_parser
from bench.word_compare import SLOT_MARGIN, compare, deflate_runner


def parse_args(argv):
    parser = side_by_side_parser("inline_policy", __doc__, rounds=7)
    return parser.parse_args(argv)


def variants():
    """``{mode: {variant: run}}`` (``deflate_runner``'s runs), not yet compiled."""
    from gpuacomp.backends.cpu import codec_compiler, lz4
    from gpuacomp.kernels import deflate_encode
    from gpuacomp.kernels.retarget import compile_functions

    def encoder(called):
        # (uncached: the two variants' functions share their names and files)
        return compile_functions(deflate_encode, deflate_encode.CODEC_FUNCTIONS,
                                 codec_compiler(called, cache=False), uses=lz4).encode_page

    builds = {"all inlined": encoder(()), "setup called": encoder(deflate_encode.BLOCK_SETUP)}
    return {mode: {name: deflate_runner(encode_page, deflate_encode.MODES[mode])
                   for name, encode_page in builds.items()}
            for mode in ("fixed", "dynamic")}


def first_calls(runs, page):
    """Seconds of each run's first call on one page (its compile)."""
    slot = page.shape[1] + SLOT_MARGIN
    seconds = {}
    for name, run in runs.items():
        start = time.perf_counter()
        run(page, np.zeros(slot, np.uint8), slot, np.empty(1, np.int32), 4)
        seconds[name] = time.perf_counter() - start
    return seconds


def main(argv=None):
    args = parse_args(argv)
    progress = Progress()
    sources = corpus_sources(args.corpus)
    by_mode = variants()
    progress("compiling")
    first = sources[0].pages[:1]
    compiles = {mode: first_calls(runs, np.ascontiguousarray(first))
                for mode, runs in by_mode.items()}
    progress.expect(len(sources) * len(by_mode))
    rows = []
    for source in sources:
        pages = np.ascontiguousarray(source.pages)
        for mode, runs in by_mode.items():
            median = compare(runs, pages, args.rounds, 4)
            rate = {name: pages.nbytes / s / 1e6 for name, s in median.items()}
            rows.append((source.name, mode, f"{rate['all inlined']:.0f}",
                         f"{rate['setup called']:.0f}",
                         f"{median['all inlined'] / median['setup called']:.3f}"))
            progress.step(f"{mode} on {source.name}")
    print("# first call (compile), seconds")
    print(markdown_table(("mode", "all inlined", "setup called"),
                         [(mode, *(f"{s:.1f}" for s in c.values()))
                          for mode, c in compiles.items()], align="lrr"))
    print(f"\n# one thread, MB/s (medians of {args.rounds} alternating rounds; the same bytes)")
    print(markdown_table(("pages", "mode", "all inlined", "setup called", "called / inlined"),
                         rows, align="llrrr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
