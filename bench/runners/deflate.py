"""``deflate``: the accelerator's IAA-compatible deflate drivers against zlib level 1 on
the same pages in the same run (issue 5's targets): ``deflate-iaa`` (fixed codes) against
zlib -1 with the same constraints (Z_FIXED, a 4 KiB window) for ratio and against zlib
-1's defaults for one-thread speed; ``deflate-iaa-dynamic`` against zlib -1's defaults
for ratio.  Each page is compressed alone; every output is checked with zlib."""

import zlib

import numpy as np

from bench.common import codec_figures, fmt_stat, fmt_x, markdown_table
from bench.plots import ratio_against_speed

TITLE = "deflate: IAA's format against zlib level 1"
DRIVERS = ("deflate-iaa", "deflate-iaa-dynamic")
ZLIB = {  # name: (level, strategy, window bits), raw deflate, memLevel 8
    "zlib -1 fixed, 4 KiB window": (1, zlib.Z_FIXED, 12),
    "zlib -1": (1, zlib.Z_DEFAULT_STRATEGY, 15),
    "zlib -6": (6, zlib.Z_DEFAULT_STRATEGY, 15),
}
IAA_WINDOW_BITS = 12


def steps(ctx):
    return len(ctx.sources)


def _stored_size(pages, lengths):
    """Compressed bytes as the corpus README and zswap count them: a page that does not
    shrink is stored."""
    return int(np.minimum(lengths, pages.shape[1]).sum())


def _zlib_codec(level, strategy, window_bits):
    def compress(data):
        stream = zlib.compressobj(level, zlib.DEFLATED, -window_bits, 8, strategy)
        return stream.compress(data) + stream.flush()
    return compress


def _check(name, source, blocks, blobs):
    for i, (block, blob) in enumerate(zip(blocks, blobs)):
        if zlib.decompress(block, -IAA_WINDOW_BITS if "iaa" in name else -15) != blob:
            raise RuntimeError(f"{name}: page {i} of {source} does not decode with zlib")


def run(ctx):
    from gpuacomp import Compressor

    gpu = ctx.engine("gpu")
    per_source = {}
    for source in ctx.sources:
        ctx.progress.step(f"deflate: {source.name}")
        pages = source.pages
        blobs = [p.tobytes() for p in pages]
        rows = {}
        for driver in DRIVERS:
            engines = [("cpu, 1 thread", Compressor(driver, device="cpu", threads=1)),
                       ("cpu, all threads", Compressor(driver, device="cpu"))]
            if gpu is not None:
                engines.append((f"{gpu.backend}, host-to-host",
                                Compressor(driver, device="gpu")))
            for where, c in engines:
                batch = c.compress(pages)
                _check(driver, source.name, [batch.page(i) for i in range(len(pages))], blobs)
                if not (c.decompress(batch) == pages).all():
                    raise RuntimeError(f"{driver} on {where} did not round-trip {source.name}")
                rows[f"{driver} ({where})"] = codec_figures(
                    ctx.args, pages.nbytes, _stored_size(pages, batch.lengths),
                    lambda: c.compress(pages), lambda: c.decompress(batch))
        for name, settings in ZLIB.items():
            compress = _zlib_codec(*settings)
            blocks = [compress(b) for b in blobs]
            _check(name, source.name, blocks, blobs)
            rows[name] = codec_figures(
                ctx.args, pages.nbytes, _stored_size(pages, np.array([len(b) for b in blocks])),
                lambda: [compress(b) for b in blobs],
                lambda: [zlib.decompress(b, -15) for b in blocks])
        per_source[source.name] = {"rows": rows, "targets": _targets(rows)}
        _print(source, rows, per_source[source.name]["targets"])
    return {"sources": per_source}


def _targets(rows):
    fixed = rows["deflate-iaa (cpu, 1 thread)"]
    dynamic = rows["deflate-iaa-dynamic (cpu, 1 thread)"]
    zlib_fixed, zlib_1 = rows["zlib -1 fixed, 4 KiB window"], rows["zlib -1"]
    speed = fixed["compress_mb_s"]["median"] / zlib_1["compress_mb_s"]["median"]
    return [
        {"target": "deflate-iaa ratio >= zlib -1 (Z_FIXED, 4 KiB window)",
         "value": f"{fixed['ratio']:.3f} against {zlib_fixed['ratio']:.3f}",
         "met": fixed["ratio"] >= zlib_fixed["ratio"]},
        {"target": "deflate-iaa one-thread compress >= 2x zlib -1",
         "value": fmt_x(speed), "met": speed >= 2},
        {"target": "deflate-iaa-dynamic ratio >= zlib -1",
         "value": f"{dynamic['ratio']:.3f} against {zlib_1['ratio']:.3f}",
         "met": dynamic["ratio"] >= zlib_1["ratio"]},
    ]


def _print(source, rows, targets):
    zlib_speed = rows["zlib -1"]["compress_mb_s"]["median"]
    print(f"## deflate on {source.name} ({len(source.pages)} pages, each alone; zlib in a "
          "Python loop of one call per page; ratio with pages that do not shrink stored)")
    print(markdown_table(
        ["codec", "ratio", "compress MB/s", "x zlib -1", "decompress MB/s"],
        [[name, f"{r['ratio']:.3f}", fmt_stat(r["compress_mb_s"]),
          fmt_x(r["compress_mb_s"]["median"] / zlib_speed), fmt_stat(r["decompress_mb_s"])]
         for name, r in rows.items()]))
    print()
    print(markdown_table(["target", "measured", "met"],
                         [[t["target"], t["value"], "yes" if t["met"] else "NO"]
                          for t in targets]))
    print()


def plot(result, axes):
    name, entry = next(iter(result["sources"].items()))
    ratio_against_speed(axes, entry["rows"], f"deflate on {name}: ratio against speed",
                        "ratio (pages that do not shrink stored)")
