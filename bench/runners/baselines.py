"""``baselines``: the libraries a kernel could use instead, on the same pages in the
same run, each page compressed alone: liblz4 (default and HC), zstd -1, zlib -1 and -6
(raw deflate), libdeflate and ISA-L when installed; with ours on the CPU beside them."""

import zlib

from bench.common import codec_figures, fmt_stat, markdown_table
from bench.plots import ratio_against_speed

TITLE = "baselines: other codecs on the same pages"


def codecs():
    """``{name: (compress(bytes) -> bytes, decompress(bytes, n) -> bytes)}`` of what is
    installed, and ``{name: why it is missing}``."""
    found, missing = {}, {}
    try:
        import lz4.block as lz4_block
        found["liblz4 default"] = (
            lambda b: lz4_block.compress(b, store_size=False),
            lambda c, n: lz4_block.decompress(c, uncompressed_size=n))
        found["liblz4 HC 9"] = (
            lambda b: lz4_block.compress(b, mode="high_compression", compression=9,
                                         store_size=False),
            lambda c, n: lz4_block.decompress(c, uncompressed_size=n))
    except ImportError as exc:
        missing["liblz4"] = str(exc)
    try:
        import zstandard
        zc, zd = zstandard.ZstdCompressor(level=1), zstandard.ZstdDecompressor()
        found["zstd -1"] = (zc.compress, lambda c, n: zd.decompress(c, max_output_size=n))
    except ImportError as exc:
        missing["zstd"] = str(exc)
    for level in (1, 6):
        found[f"zlib -{level} (raw)"] = (_raw_deflate(level), _raw_inflate)
    try:
        import deflate
        found["libdeflate -6"] = (lambda b: deflate.deflate_compress(b, 6),
                                  lambda c, n: deflate.deflate_decompress(c, n))
    except ImportError as exc:
        missing["libdeflate"] = str(exc)
    try:
        from isal import isal_zlib
        found["ISA-L -1 (raw)"] = (lambda b: _isal_raw(isal_zlib, b),
                                   lambda c, n: isal_zlib.decompress(c, -15))
    except ImportError as exc:
        missing["ISA-L"] = str(exc)
    return found, missing


def _raw_deflate(level):
    def compress(data):
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    return compress


def _raw_inflate(data, n):
    return zlib.decompress(data, -15, n)


def _isal_raw(isal_zlib, data):
    c = isal_zlib.compressobj(1, isal_zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def steps(ctx):
    return len(ctx.sources)


def run(ctx):
    found, missing = codecs()
    per_source = {}
    for source in ctx.sources:
        ctx.progress.step(f"baselines: {source.name}")
        pages = source.pages
        blobs = [p.tobytes() for p in pages]
        rows = {}
        cpu = ctx.engine("cpu_all")
        batch = cpu.compressor.compress(pages)
        rows[f"ours ({cpu.label})"] = codec_figures(
            ctx.args, pages.nbytes, batch.compressed_size, lambda: cpu.compressor.compress(pages),
            lambda: cpu.compressor.decompress(batch))
        for name, (compress, decompress) in found.items():
            blocks = [compress(b) for b in blobs]
            for block, blob in zip(blocks, blobs):
                if decompress(block, len(blob)) != blob:
                    raise RuntimeError(f"{name} did not round-trip a page of {source.name}")
            rows[name] = codec_figures(
                ctx.args, pages.nbytes, sum(len(b) for b in blocks),
                lambda: [compress(b) for b in blobs],
                lambda: [decompress(c, len(b)) for c, b in zip(blocks, blobs)])
        per_source[source.name] = rows
        print(f"## baselines on {source.name} ({len(pages)} pages, each alone; Python loop "
              "of one call per page, 1 thread, except ours)")
        print(markdown_table(["codec", "ratio", "compress MB/s", "decompress MB/s"],
                             [[n, f"{r['ratio']:.3f}", fmt_stat(r["compress_mb_s"]),
                               fmt_stat(r["decompress_mb_s"])] for n, r in rows.items()]))
        print()
    if missing:
        print("   not installed: " + "; ".join(f"{k} ({v})" for k, v in missing.items()))
        print()
    return {"sources": per_source, "missing": missing}


def plot(result, axes):
    name, rows = next(iter(result["sources"].items()))
    ratio_against_speed(axes, rows, f"codecs on {name}: ratio against speed")
