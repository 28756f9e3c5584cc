"""``sweep``: compression throughput against batch size, on every engine: from which
batch size on does the GPU beat the CPU (the crossover)?"""

from bench.common import fmt_rate, markdown_table, throughput
from bench.engines import gpu_sync, to_device

TITLE = "sweep: compress MB/s against batch size, CPU and GPU"
BATCH_SIZES = (1, 8, 64, 512, 4096, 32768, 65536)


def sizes(ctx):
    pages = len(ctx.sources[0].pages)
    return [b for b in BATCH_SIZES if b <= pages] or [pages]


def steps(ctx):
    return len(sizes(ctx))


def run(ctx):
    pages = ctx.sources[0].pages
    engines = [e for e in ctx.engines if e.key != "cpu_1t"] or ctx.engines
    table = {e.key: {} for e in engines}
    for b in sizes(ctx):
        ctx.progress.step(f"sweep: batches of {b} pages")
        batch = pages[:b]
        for engine in engines:
            data = to_device(batch) if engine.resident else batch
            stat = throughput(lambda: engine.compressor.compress(data), batch.nbytes,
                              ctx.args.repeat, ctx.args.min_sample_s,
                              gpu_sync if engine.resident else None)
            table[engine.key][b] = stat.to_json()
    crossover = _crossover(table)
    headers = ["batch (pages)"] + [e.label for e in engines]
    rows = [[b] + [fmt_rate(table[e.key][b]["median"]) for e in engines] for b in sizes(ctx)]
    print(f"## sweep: compress MB/s (median of {ctx.args.repeat}) on "
          f"{ctx.sources[0].name} pages")
    print(markdown_table(headers, rows))
    print("   crossover: " + (f"the GPU (host-to-host) beats the CPU (all cores) from "
                             f"{crossover} pages on" if crossover else
                             "none: no GPU ran" if "gpu" not in table else
                             "none: the CPU is faster at every batch size measured"))
    print()
    return {"source": ctx.sources[0].name, "labels": {e.key: e.label for e in engines},
            "compress_mb_s": {k: {str(b): v for b, v in t.items()} for k, t in table.items()},
            "crossover_pages": crossover}


def _crossover(table):
    if "gpu" not in table or "cpu_all" not in table:
        return None
    for b in sorted(table["gpu"]):
        if table["gpu"][b]["median"] > table["cpu_all"][b]["median"]:
            return b
    return None


def plot(result, axes):
    for key, by_size in result["compress_mb_s"].items():
        xs = sorted(int(b) for b in by_size)
        axes.plot(xs, [by_size[str(b)]["median"] for b in xs], marker="o",
                  label=result["labels"][key])
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xlabel("batch size (pages)")
    axes.set_ylabel("compress MB/s")
    title = "throughput against batch size"
    if result["crossover_pages"]:
        axes.axvline(result["crossover_pages"], color="grey", linestyle=":")
        title += f" (GPU ahead from {result['crossover_pages']} pages)"
    axes.set_title(title)
    axes.legend()
