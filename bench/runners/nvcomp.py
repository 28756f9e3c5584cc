"""``nvcomp``: NVIDIA's nvCOMP on the same pages, device-resident: LZ4 and Deflate at
4 KiB chunks (a chunk per page, as ours) and 64 KiB chunks.  Runs when
``nvidia.nvcomp`` imports and a CUDA GPU ran (skipped with the reason otherwise)."""

import numpy as np

from bench.common import device_time, markdown_table

TITLE = "nvcomp: nvCOMP LZ4 and Deflate on the same pages"
ALGORITHMS = ("LZ4", "Deflate")
CHUNKS = (4096, 65536)


def unavailable(ctx):
    """Why this runner cannot run here, or None."""
    if ctx.engine("gpu_resident") is None:
        return "no CUDA GPU ran in this benchmark"
    try:
        from nvidia import nvcomp  # noqa: F401
    except ImportError as exc:
        return f"nvidia.nvcomp is not importable ({exc}); pip install nvidia-nvcomp-cu13"
    return None


def steps(ctx):
    return 0 if unavailable(ctx) else len(ALGORITHMS) * len(CHUNKS)


def run(ctx):
    reason = unavailable(ctx)
    if reason:
        print(f"## nvcomp: skipped: {reason}")
        print()
        return {"skipped": reason}
    import cupy as cp
    from nvidia import nvcomp

    pages = ctx.sources[0].pages
    dev = cp.asarray(np.ascontiguousarray(pages)).reshape(-1)
    stream = cp.cuda.Stream()
    results = {}
    ours = ctx.engine("gpu_resident").compressor
    resident = cp.asarray(pages)
    batch = ours.compress(resident)
    compress_s = device_time(cp, lambda: ours.compress(resident), ctx.args.repeat)[0]
    decompress_s = device_time(cp, lambda: ours.decompress(batch), ctx.args.repeat)[0]
    results["ours LZ4 (4 KiB pages)"] = {"ratio": batch.to_host().ratio,
                                         "compress_GBps": pages.nbytes / compress_s / 1e9,
                                         "decompress_GBps": pages.nbytes / decompress_s / 1e9}
    for algorithm in ALGORITHMS:
        for chunk in CHUNKS:
            ctx.progress.step(f"nvcomp: {algorithm}, {chunk}-byte chunks")
            results[f"nvCOMP {algorithm} ({chunk // 1024} KiB chunks)"] = _measure(
                cp, nvcomp, algorithm, chunk, dev, stream, ctx.args.repeat)
    cp.cuda.Device().synchronize()
    print(f"## nvcomp: device-resident, {len(pages)} pages of {ctx.sources[0].name} "
          f"(median of {ctx.args.repeat}, CUDA events)")
    print(markdown_table(["codec", "ratio", "compress GB/s", "decompress GB/s"],
                         [[k, f"{r['ratio']:.3f}", f"{r['compress_GBps']:.1f}",
                           f"{r['decompress_GBps']:.1f}"] for k, r in results.items()]))
    print()
    return {"codecs": results}


def _measure(cp, nvcomp, algorithm, chunk, dev, stream, repeat):
    """One nvCOMP codec on the pages; its objects go before their stream does."""
    codec = nvcomp.Codec(algorithm=algorithm, uncomp_chunk_size=chunk, cuda_stream=stream.ptr)
    src = nvcomp.as_array(dev)
    encoded = codec.encode(src)
    with stream:
        enc = device_time(cp, lambda: codec.encode(src), repeat)[0]
        dec = device_time(cp, lambda: codec.decode(encoded), repeat)[0]
    decoded = cp.asarray(codec.decode(encoded)).view(cp.uint8).reshape(-1)
    return {"ratio": dev.nbytes / encoded.buffer_size, "compress_GBps": dev.nbytes / enc / 1e9,
            "decompress_GBps": dev.nbytes / dec / 1e9,
            "round_trip": bool(cp.array_equal(decoded, dev))}


def plot(result, axes):
    if "codecs" not in result:
        return False
    for codec, r in result["codecs"].items():
        axes.scatter(r["compress_GBps"], r["ratio"], s=40)
        axes.annotate(codec, (r["compress_GBps"], r["ratio"]), fontsize=7, xytext=(4, 2),
                      textcoords="offset points")
    axes.set_xlabel("compress GB/s (device-resident)")
    axes.set_ylabel("ratio")
    axes.set_title("ours against nvCOMP")
    return True
