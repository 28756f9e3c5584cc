"""``levels``: the parse's settings side by side, ratio against speed: candidates per
position and the lazy step (``Compressor(candidates=..., lazy=...)``), for LZ4 and
``deflate-iaa``, on one CPU thread and on the GPU with device-resident pages when one
ran.  Every setting's output is decoded and checked."""

import numpy as np

from bench.common import fmt_stat, fmt_x, markdown_table, throughput
from bench.engines import gpu_sync, to_device
from bench.plots import ratio_against_speed
from gpuacomp.kernels.lz4 import DEFAULT_CANDIDATES, DEFAULT_LAZY

TITLE = "levels: the parse's candidates and lazy step, ratio against speed"
CODECS = ("lz4", "deflate-iaa")
DEFAULT = (DEFAULT_CANDIDATES, DEFAULT_LAZY)  # Compressor's
CANDIDATES = tuple(sorted({1, 2, 3, 4, 8, DEFAULT_CANDIDATES}))


def steps(ctx):
    return len(ctx.sources)


def settings():
    return [(c, lazy) for c in CANDIDATES for lazy in (False, True)]


def run(ctx):
    from gpuacomp import Compressor

    gpu = ctx.engine("gpu_resident")
    per_source = {}
    for source in ctx.sources:
        ctx.progress.step(f"levels: {source.name}")
        pages = source.pages
        device_pages = to_device(pages) if gpu is not None else None
        rows = []
        for codec in CODECS:
            for candidates, lazy in settings():
                ctx.progress(f"levels: {source.name}: {codec}, {candidates} candidates"
                             f"{', lazy' if lazy else ''}")
                cpu = Compressor(codec, device="cpu", threads=1, candidates=candidates,
                                 lazy=lazy)
                batch = cpu.compress(pages)
                if not (batch.ok and (cpu.decompress(batch) == pages).all()):
                    raise RuntimeError(f"{codec} {candidates} candidates lazy={lazy}: "
                                       f"{source.name} did not round-trip")
                row = dict(codec=codec, candidates=candidates, lazy=lazy, ratio=batch.ratio,
                           cpu_1t_mb_s=throughput(lambda: cpu.compress(pages), pages.nbytes,
                                                  ctx.args.repeat,
                                                  ctx.args.min_sample_s).to_json())
                if gpu is not None:
                    row["gpu_resident_mb_s"] = _gpu_figures(codec, candidates, lazy, pages,
                                                            device_pages, batch, ctx.args)
                rows.append(row)
        per_source[source.name] = rows
        _print(source, rows)
    return {"sources": per_source}


def _gpu_figures(codec, candidates, lazy, pages, device_pages, cpu_batch, args):
    from gpuacomp import Compressor

    gpu = Compressor(codec, device="gpu", candidates=candidates, lazy=lazy)
    batch = gpu.compress(device_pages).to_host()
    if not np.array_equal(batch.lengths, cpu_batch.lengths) or any(
            batch.page(i) != cpu_batch.page(i) for i in range(len(pages))):
        raise RuntimeError(f"{codec} {candidates} candidates lazy={lazy}: the GPU's bytes "
                           "are not the CPU's")
    return throughput(lambda: gpu.compress(device_pages), pages.nbytes, args.repeat,
                      args.min_sample_s, gpu_sync).to_json()


def _label(row):
    return f"{row['codec']} {row['candidates']}{' lazy' if row['lazy'] else ''}"


def _print(source, rows):
    gpu = "gpu_resident_mb_s" in rows[0]
    print(f"## levels on {source.name} ({len(source.pages)} pages; x: against the same "
          f"codec's default, {DEFAULT[0]} candidates {'with' if DEFAULT[1] else 'without'} "
          "the lazy step)")
    defaults = {r["codec"]: r for r in rows if (r["candidates"], r["lazy"]) == DEFAULT}
    table = []
    for row in rows:
        default = defaults[row["codec"]]
        speed = row["cpu_1t_mb_s"]["median"] / default["cpu_1t_mb_s"]["median"]
        line = [row["codec"], row["candidates"], "yes" if row["lazy"] else "no",
                f"{row['ratio']:.3f}", fmt_x(row["ratio"] / default["ratio"], 3),
                fmt_stat(row["cpu_1t_mb_s"]), fmt_x(speed)]
        if gpu:
            line += [fmt_stat(row["gpu_resident_mb_s"]),
                     fmt_x(row["gpu_resident_mb_s"]["median"]
                           / default["gpu_resident_mb_s"]["median"])]
        table.append(line)
    headers = ["codec", "candidates", "lazy", "ratio", "x ratio", "cpu 1 thread MB/s", "x"]
    if gpu:
        headers += ["gpu resident MB/s", "x"]
    print(markdown_table(headers, table))
    print()


def plot(result, axes):
    name, rows = next(iter(result["sources"].items()))
    points = {_label(r): {"ratio": r["ratio"], "compress_mb_s": r["cpu_1t_mb_s"]}
              for r in rows}
    ratio_against_speed(axes, points, f"levels on {name}: ratio against one CPU thread")
