"""``python -m bench.fixed_codes``: the raw DEFLATE decoder (``kernels/deflate.py``) on the
CPU, one thread, with the fixed codes' tables built for every block, as it did until
2026-11-28, or built once (``FIXED_TABLES``), side by side in one process.

Variants, each decoding the same streams of each page source:

- ``built per block``: ``fill_fixed_tables`` into a workspace before each page whose
  block has fixed codes (each of these pages is one block), then the decoder reads
  that workspace;
- ``built once, copied``: a writable copy of ``FIXED_TABLES``, built before the run;
- ``built once``: ``FIXED_TABLES`` itself (what the CPU backend passes; numba freezes a
  global array into the compiled code).

The streams come from ``deflate-iaa`` (fixed codes: every page decodes with the fixed
tables) and ``deflate-iaa-dynamic`` (mostly the page's own codes: a control).  Medians
of alternating rounds, MB/s of decoded pages; every variant must give back the pages.
Compiling the decoder takes most of the run (about a minute on a 2-core VM).
"""

import sys

import numpy as np

from bench.common import Progress, corpus_sources, markdown_table, side_by_side_parser
from bench.word_compare import compare

DRIVERS = ("deflate-iaa", "deflate-iaa-dynamic")
FIXED_BLOCK = 1  # a block header's BTYPE (after its BFINAL bit)


def parse_args(argv):
    parser = side_by_side_parser("fixed_codes", __doc__, rounds=9)
    return parser.parse_args(argv)


def variants():
    """``{variant: run(data, offsets, lengths, out, produced)}``, not yet compiled."""
    from numba import njit

    from gpuacomp.backends.cpu import codec_compiler, lz4
    from gpuacomp.backends.inflate import decoder_workspace
    from gpuacomp.kernels import deflate as codec
    from gpuacomp.kernels.retarget import compile_functions

    # (uncached: the backend's cache holds its own build of these functions)
    compiled = compile_functions(codec, codec.CODEC_FUNCTIONS + ("fill_fixed_tables",),
                                 codec_compiler(cache=False), uses=lz4)
    inflate_page, fill_fixed_tables = compiled.inflate_page, compiled.fill_fixed_tables

    def runner(rebuild):
        @njit(nogil=True)
        def run(data, offsets, lengths, fixed, out, produced):
            state, code_lengths, lcounts, offs, lsymbols, ltable, dcounts, dsymbols, \
                dtable = decoder_workspace()
            for p in range(out.shape[0]):
                block = data[offsets[p]:offsets[p] + lengths[p]]
                if rebuild and len(block) and (block[0] >> 1) & 3 == FIXED_BLOCK:
                    fill_fixed_tables(fixed, code_lengths, offs)
                produced[p] = inflate_page(block, block.shape[0], out[p], out.shape[1], fixed,
                                           state, code_lengths, lcounts, offs, lsymbols,
                                           ltable, dcounts, dsymbols, dtable)
        return run

    per_block, once = runner(True), runner(False)

    @njit(nogil=True)
    def constant(data, offsets, lengths, out, produced):
        once(data, offsets, lengths, codec.FIXED_TABLES, out, produced)

    rebuilt = np.zeros(codec.FIXED_ENTRIES, np.int16)
    copy = codec.FIXED_TABLES.copy()
    return {"built per block": lambda *a: per_block(*a[:3], rebuilt, *a[3:]),
            "built once, copied": lambda *a: once(*a[:3], copy, *a[3:]),
            "built once": constant}


def streams(driver, pages):
    """``(data, offsets, lengths)`` of ``pages`` compressed by ``driver`` on the CPU."""
    from gpuacomp import Compressor

    batch = Compressor(driver, device="cpu").compress(pages)
    return batch.data, batch.offsets.astype(np.int64), batch.lengths.astype(np.int64)


def main(argv=None):
    args = parse_args(argv)
    progress = Progress()
    sources = corpus_sources(args.corpus)
    runs = variants()
    progress("compiling")
    progress.expect(len(sources) * len(DRIVERS))
    rows = []
    for source in sources:
        pages = np.ascontiguousarray(source.pages)
        for driver in DRIVERS:
            median = compare(runs, pages, args.rounds, 0, streams(driver, pages))
            rate = {name: pages.nbytes / s / 1e6 for name, s in median.items()}
            base = median["built per block"]
            rows.append((source.name, driver, *(f"{r:.0f}" for r in rate.values()),
                         *(f"{base / median[name]:.2f}x" for name in list(runs)[1:])))
            progress.step(f"{driver} on {source.name}")
    names = list(runs)
    print(f"# one thread, MB/s of decoded pages (medians of {args.rounds} alternating rounds)")
    print(markdown_table(("pages", "streams", *names, *(f"{n} / per block" for n in names[1:])),
                         rows, align="ll" + "r" * (2 * len(names) - 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
