"""``python -m bench.inflate_versions REV [REV ...]``: the raw DEFLATE decoder
(``kernels/deflate.py``) of git revisions side by side on the CPU, one thread.

Each REV is a git revision, whose ``kernels/deflate.py`` is compiled with this tree's
copies (``lz4``'s, as the CPU backend compiles them), or ``.`` for the working tree.
Every page source is compressed four ways, each page alone: ``deflate-iaa`` (fixed
codes), ``deflate-iaa-dynamic`` (the page's own codes), zlib -1 and zlib -6 (raw, 32 KiB
window), and each version decodes the same streams in alternating rounds.  Figures are
MB/s of decoded pages (medians), and each version's speed over the first REV's; every
version must give back the pages.  Revisions before the fixed codes' tables were built
once (8c36c23) took other arguments and are refused.
"""

import importlib.util
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

from bench.common import Fatal, Progress, corpus_sources, markdown_table, side_by_side_parser
from bench.fixed_codes import streams
from bench.word_compare import compare

DECODER = "kernels/deflate.py"
REPO = Path(__file__).resolve().parent.parent
ZLIB_LEVELS = (1, 6)


def parse_args(argv):
    parser = side_by_side_parser("inflate_versions", __doc__, rounds=7)
    parser.add_argument("revisions", nargs="+", metavar="REV",
                        help="git revisions, or . for the working tree (the first is the base)")
    return parser.parse_args(argv)


def decoder_source(revision):
    if revision == ".":
        return (REPO / DECODER).read_text()
    shown = subprocess.run(["git", "show", f"{revision}:{DECODER}"], cwd=REPO,
                           capture_output=True, text=True)
    if shown.returncode != 0:
        raise Fatal(f"no {DECODER} at {revision!r}: {shown.stderr.strip()}")
    return shown.stdout


def load_decoder(revision, folder, k):
    """The module ``kernels/deflate.py`` was at ``revision``."""
    path = Path(folder) / f"deflate_version_{k}.py"
    path.write_text(decoder_source(revision))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "FIXED_TABLES"):
        raise Fatal(f"{revision}'s decoder predates FIXED_TABLES (8c36c23): its "
                    "inflate_page takes other arguments")
    return module


def runner(codec):
    """``run(data, offsets, lengths, out, produced)``: every stream by ``codec``'s
    ``inflate_page``, compiled as the CPU backend compiles it (not cached)."""
    from numba import njit

    from gpuacomp.backends.cpu import codec_compiler, lz4
    from gpuacomp.kernels.retarget import compile_functions

    inflate_page = compile_functions(codec, codec.CODEC_FUNCTIONS, codec_compiler(cache=False),
                                     uses=lz4).inflate_page
    fixed = codec.FIXED_TABLES
    # The workspace as this version sizes it.
    code_lengths, bits, codes = codec.MAX_CODE_LENGTHS, codec.MAX_BITS + 1, codec.MAX_LITLEN_CODES
    dist_codes, fast = codec.MAX_DIST_CODES, codec.FAST_ENTRIES

    @njit(nogil=True)
    def run(data, offsets, lengths, out, produced):
        state = np.zeros(3, np.int64)
        lengths_ws = np.zeros(code_lengths, np.int16)
        lcounts, dcounts, offs = (np.zeros(bits, np.int16), np.zeros(bits, np.int16),
                                  np.zeros(bits, np.int16))
        lsymbols, dsymbols = np.zeros(codes, np.int16), np.zeros(dist_codes, np.int16)
        ltable, dtable = np.zeros(fast, np.int16), np.zeros(fast, np.int16)
        for p in range(out.shape[0]):
            block = data[offsets[p]:offsets[p] + lengths[p]]
            produced[p] = inflate_page(block, block.shape[0], out[p], out.shape[1], fixed,
                                       state, lengths_ws, lcounts, offs, lsymbols, ltable,
                                       dcounts, dsymbols, dtable)
    return run


def zlib_streams(pages, level):
    """``(data, offsets, lengths)`` of each page compressed alone by zlib, raw."""
    blocks = []
    for page in pages:
        stream = zlib.compressobj(level, zlib.DEFLATED, -15)
        blocks.append(stream.compress(page.tobytes()) + stream.flush())
    lengths = np.array([len(b) for b in blocks], np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return np.frombuffer(b"".join(blocks), np.uint8).copy(), offsets, lengths


def main(argv=None):
    args = parse_args(argv)
    progress = Progress()
    sources = corpus_sources(args.corpus)
    with tempfile.TemporaryDirectory() as folder:
        runs = {rev: runner(load_decoder(rev, folder, k))
                for k, rev in enumerate(args.revisions)}
    kinds = {"deflate-iaa": lambda p: streams("deflate-iaa", p),
             "deflate-iaa-dynamic": lambda p: streams("deflate-iaa-dynamic", p),
             **{f"zlib -{level}": (lambda p, level=level: zlib_streams(p, level))
                for level in ZLIB_LEVELS}}
    progress("compiling each version's decoder")
    progress.expect(len(sources) * len(kinds))
    rows = []
    names = list(runs)
    for source in sources:
        pages = np.ascontiguousarray(source.pages)
        for kind, make in kinds.items():
            median = compare(runs, pages, args.rounds, 0, make(pages))
            base = median[names[0]]
            rows.append((source.name, kind,
                         *(f"{pages.nbytes / median[n] / 1e6:.0f}" for n in names),
                         *(f"{base / median[n]:.2f}x" for n in names[1:])))
            progress.step(f"{kind} on {source.name}")
    print(f"# one thread, MB/s of decoded pages (medians of {args.rounds} alternating rounds)")
    print(markdown_table(("pages", "streams", *names, *(f"{n} / {names[0]}" for n in names[1:])),
                         rows, align="ll" + "r" * (2 * len(names) - 1)))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Fatal as exc:
        sys.exit(f"inflate_versions: {exc}")
