"""``python -m bench.word_compare``: the CPU codecs with bytes compared and copied one
at a time and eight at a time (``gpuacomp/backends/host_words.py``), side by side in
one process.

Both variants of each encoder (LZ4, ``deflate-iaa``'s fixed and dynamic modes) and of
the LZ4 decoder are compiled here from the same codec source, the one with ``lz4``'s
bytewise functions, the other with ``host_words``' versions (what the CPU backends
use), and run on one thread over the same pages in alternation.  Both must give the
same bytes; the table gives each one's median MB/s (of uncompressed data) and their
ratio.  Pages: the project's default pages, or ``--corpus`` files or directories.
Compiling the eight variants takes most of the run (about four minutes on a 2-core VM).
"""

import statistics
import sys
import time
import types

import numpy as np

from bench.common import Progress, corpus_sources, markdown_table, side_by_side_parser

SLOT_MARGIN = 64  # beyond a page: room for either codec's incompressible page


def parse_args(argv):
    parser = side_by_side_parser("word_compare", __doc__, rounds=7)
    parser.add_argument("--candidates", type=int, default=4, help="max_candidates (default 4)")
    return parser.parse_args(argv)


def deflate_runner(encode_page, mode):
    """``run(pages, out, slot, lengths, max_candidates)``: the CPU backend's loop over
    pages (one thread) around a compiled ``deflate_encode.encode_page``."""
    from numba import njit

    from gpuacomp.backends.cpu import link_page
    from gpuacomp.backends.deflate_cpu import encoder_workspace
    from gpuacomp.kernels import deflate_encode

    @njit(nogil=True)
    def run(pages, out, slot, lengths, max_candidates):
        n = pages.shape[1]
        head, prev, records, tables, writer = encoder_workspace(n)
        base = 0
        for p in range(pages.shape[0]):
            base = link_page(pages[p], n, n - (deflate_encode.MIN_MATCH - 1), head, base,
                             prev)
            lengths[p] = encode_page(pages[p], n, prev, out[p * slot:(p + 1) * slot], slot,
                                     mode, max_candidates, False, records, tables, writer)
    return run


def encoders():
    """``{codec: {variant: run(pages, out, slot, lengths, max_candidates)}}``."""
    from numba import njit

    from gpuacomp.backends import host_words
    from gpuacomp.backends.cpu import HASH_ENTRIES, link_page
    from gpuacomp.kernels import deflate_encode, lz4
    from gpuacomp.kernels.retarget import compile_functions

    if host_words.FUNCTIONS is None:
        raise SystemExit("this host is big-endian: the CPU backends compare bytewise here")
    inline = njit(nogil=True, inline="always")
    kept = tuple(n for n in lz4.CODEC_FUNCTIONS if n not in host_words.REPLACED)
    lz4_variants = {
        "bytewise": compile_functions(lz4, lz4.CODEC_FUNCTIONS, inline),
        "8 bytes": types.SimpleNamespace(**vars(host_words.FUNCTIONS), **vars(
            compile_functions(lz4, kept, inline, uses=host_words.FUNCTIONS)))}

    def lz4_runner(encode_page):
        @njit(nogil=True)
        def run(pages, out, slot, lengths, max_candidates):
            n = pages.shape[1]
            head = np.full(HASH_ENTRIES, -1, np.int32)
            prev = np.empty(max(n, 1), np.int32)
            base = 0
            for p in range(pages.shape[0]):
                base = link_page(pages[p], n, n - lz4.MATCH_START_MARGIN, head, base, prev)
                lengths[p] = encode_page(pages[p], n, prev, out[p * slot:(p + 1) * slot],
                                         slot, max_candidates, False)
        return run

    def decode_runner(decode_block):
        @njit(nogil=True)
        def run(data, offsets, lengths, out, produced):
            for p in range(out.shape[0]):
                block = data[offsets[p]:offsets[p] + lengths[p]]
                produced[p] = decode_block(block, block.shape[0], out[p], out.shape[1])
        return run

    runners = {"lz4": {k: lz4_runner(v.encode_page) for k, v in lz4_variants.items()},
               "lz4 decode": {k: decode_runner(v.decode_block)
                              for k, v in lz4_variants.items()}}
    for name, mode in (("deflate-iaa", "fixed"), ("deflate-iaa-dynamic", "dynamic")):
        runners[name] = {
            k: deflate_runner(compile_functions(deflate_encode, deflate_encode.CODEC_FUNCTIONS,
                                                inline, uses=v).encode_page,
                              deflate_encode.MODES[mode])
            for k, v in lz4_variants.items()}
    return runners


def compare(variants, pages, rounds, candidates, blocks=None):
    """Median seconds of each variant: encoders of ``pages``, or with ``blocks`` (their
    LZ4 blocks: data, offsets, lengths) decoders, which must give back ``pages``.
    Raises if the variants' bytes differ."""
    if blocks is None:
        slot = pages.shape[1] + SLOT_MARGIN

        def arrays():
            return np.zeros(len(pages) * slot, np.uint8), np.empty(len(pages), np.int32)

        def call(run, out):
            run(pages, out[0], slot, out[1], candidates)
    else:
        def arrays():
            return np.zeros_like(pages), np.empty(len(pages), np.int64)

        def call(run, out):
            run(*blocks, *out)
    outputs = {}
    for name, run in variants.items():  # compiles, and the bytes to compare
        outputs[name] = arrays()
        call(run, outputs[name])
    (first, reference), *others = outputs.items()
    if blocks is not None and not np.array_equal(reference[0], pages):
        raise SystemExit(f"{first} did not give back the pages")
    for name, out in others:
        if not all(np.array_equal(a, b) for a, b in zip(reference, out)):
            raise SystemExit(f"{name} wrote other bytes than {first}")
    seconds = {name: [] for name in variants}
    out = arrays()
    for _ in range(rounds):
        for name, run in variants.items():
            start = time.perf_counter()
            call(run, out)
            seconds[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in seconds.items()}


def lz4_blocks(encode, pages, candidates):
    """The LZ4 blocks of ``pages`` by ``encode`` (a runner): ``(data, offsets, lengths)``."""
    slot = pages.shape[1] + SLOT_MARGIN
    data, lengths = np.zeros(len(pages) * slot, np.uint8), np.empty(len(pages), np.int32)
    encode(pages, data, slot, lengths, candidates)
    return data, np.arange(len(pages), dtype=np.int64) * slot, lengths.astype(np.int64)


def main(argv=None):
    args = parse_args(argv)
    progress = Progress()
    sources = corpus_sources(args.corpus)
    progress("compiling both variants of each codec")
    runners = encoders()
    progress.expect(len(sources) * len(runners))
    rows = []
    for source in sources:
        pages = np.ascontiguousarray(source.pages)
        blocks = lz4_blocks(runners["lz4"]["bytewise"], pages, args.candidates)
        for codec, variants in runners.items():
            median = compare(variants, pages, args.rounds, args.candidates,
                             blocks if codec == "lz4 decode" else None)
            rate = {name: pages.nbytes / s / 1e6 for name, s in median.items()}
            rows.append((source.name, codec, f"{rate['bytewise']:.0f}", f"{rate['8 bytes']:.0f}",
                         f"{median['bytewise'] / median['8 bytes']:.2f}x"))
            progress.step(f"{codec} on {source.name}")
    print(f"# one thread, bytes compared and copied one at a time or eight "
          f"(medians of {args.rounds} alternating rounds; the same bytes)")
    print(markdown_table(("pages", "codec", "bytewise MB/s", "8 bytes MB/s", "speedup"),
                         rows, align="llrrr"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
