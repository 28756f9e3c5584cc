"""``throughput``: ratio, compress and decompress MB/s of gpuacomp on every engine and of
liblz4's default mode, per page source, with every output checked (round trips, liblz4
decodes ours, we decode liblz4's, every backend wrote the same bytes)."""

import sys

import numpy as np

from bench.common import fmt_rate, fmt_stat, fmt_x, markdown_table, plural, throughput
from bench.engines import gpu_sync, to_device, to_host

TITLE = "throughput: ratio and MB/s per page source, ours and liblz4"

# The foundation issue's targets: (key, description, the value's name, threshold).
TARGETS = (
    ("ratio", "ratio >= liblz4 default", "ours / liblz4 ratio", 1.0),
    ("compress_1t", "compress, 1 thread >= 0.8x liblz4", "ours 1 thread / liblz4", 0.8),
    ("compress_all", "compress, all cores >= 1.5x liblz4 (1 thread)",
     "ours all cores / liblz4", 1.5),
    ("decompress_1t", "decompress, 1 thread >= 0.5x liblz4", "ours 1 thread / liblz4", 0.5),
)


def run(ctx):
    entries = []
    for source in ctx.sources:
        ctx.progress.step(f"throughput: {source.name}")
        entry = measure_source(source, ctx.engines, ctx.lz4_block, ctx.args, ctx.progress,
                               ctx.gpu_errors)
        entries.append(entry)
        print_source(entry)
        sys.stdout.flush()
    print("Summary (medians, MB/s of uncompressed data; C = compress, D = decompress, "
          "1T = one thread, all = all cores, x = ours / liblz4):")
    print(summary_table(entries, ctx.engines))
    print()
    targets = evaluate_targets(entries)
    print_targets(targets)
    failed = [(e["name"], k) for e in entries for k, ok in e["checks"].items() if not ok]
    return {"sources": entries, "targets": targets, "failed_checks": failed}


def steps(ctx):
    return len(ctx.sources)


def packed(batch):
    """A host batch as (lengths, status, all compressed bytes in page order)."""
    batch = batch.to_host()
    ok = batch.status == 0
    data = b"".join(batch.page(i) for i in np.flatnonzero(ok))
    return batch.lengths.copy(), batch.status.copy(), data


def measure_ours(engine, pages, args, progress, name):
    comp = engine.compressor
    nbytes = pages.nbytes
    if engine.resident:
        data = to_device(pages)
        sync = gpu_sync
    else:
        data = pages
        sync = None
    progress(f"{name}: ours, {engine.label}: compress and decompress, "
             f"{plural(args.repeat, 'sample')}")
    batch = comp.compress(data)
    c = throughput(lambda: comp.compress(data), nbytes, args.repeat, args.min_sample_s, sync)
    d = throughput(lambda: comp.decompress(batch), nbytes, args.repeat, args.min_sample_s, sync)
    host = batch.to_host()
    roundtrip = bool(np.array_equal(to_host(comp.decompress(batch)), pages))
    failed = int((host.status != 0).sum())
    result = {
        "label": engine.label,
        "backend": host.backend,
        "ratio": host.ratio,
        "compressed_bytes": host.compressed_size,
        "failed_pages": failed,
        "compress_mb_s": c.to_json(),
        "decompress_mb_s": d.to_json(),
        "roundtrip_ok": roundtrip and failed == 0,
    }
    return result, host, c, d


def measure_liblz4(lz4_block, pages, args, progress, name):
    progress(f"{name}: liblz4 (lz4.block, 1 thread): compress and decompress, "
             f"{plural(args.repeat, 'sample')}")
    page_size = pages.shape[1]
    blobs = [page.tobytes() for page in pages]
    compress, decompress = lz4_block.compress, lz4_block.decompress
    blocks = [compress(b, store_size=False) for b in blobs]
    c = throughput(lambda: [compress(b, store_size=False) for b in blobs],
                   pages.nbytes, args.repeat, args.min_sample_s)
    d = throughput(lambda: [decompress(x, uncompressed_size=page_size) for x in blocks],
                   pages.nbytes, args.repeat, args.min_sample_s)
    compressed = sum(len(x) for x in blocks)
    return {
        "label": "liblz4 default, 1 thread",
        "ratio": pages.nbytes / compressed,
        "compressed_bytes": compressed,
        "compress_mb_s": c.to_json(),
        "decompress_mb_s": d.to_json(),
    }, blobs, blocks, c, d


def liblz4_decodes(lz4_block, batch, blobs):
    """True when liblz4 decodes every page of our batch back to the input."""
    for i, blob in enumerate(blobs):
        try:
            if lz4_block.decompress(batch.page(i), uncompressed_size=len(blob)) != blob:
                return False
        except Exception:  # LZ4BlockError, or ValueError from a failed page
            return False
    return True


def measure_source(source, engines, lz4_block, args, progress, gpu_errors):
    pages = source.pages
    name = source.name
    entry = {"name": name, "origin": source.origin, "pages": int(pages.shape[0]),
             "page_size": int(pages.shape[1]), "bytes": int(pages.nbytes),
             "ours": {}, "liblz4": None, "vs_liblz4": {}, "checks": {}}
    stats = {}
    reference = None
    same_bytes = True
    for engine in engines:
        try:
            result, host, c, d = measure_ours(engine, pages, args, progress, name)
        except Exception as exc:
            if not engine.key.startswith("gpu"):
                raise
            # A GPU failure is reported and the CPU figures still stand.
            error = f"{type(exc).__name__}: {exc}"
            progress(f"{name}: {engine.label} FAILED: {error}")
            entry["ours"][engine.key] = {"label": engine.label, "error": error}
            gpu_errors.append({"source": name, "engine": engine.key, "error": error})
            continue
        entry["ours"][engine.key] = result
        stats[engine.key] = (c, d)
        this = packed(host)
        if reference is None:
            reference = this
            reference_batch = host
        else:
            equal = (np.array_equal(this[0], reference[0])
                     and np.array_equal(this[1], reference[1]) and this[2] == reference[2])
            same_bytes = same_bytes and equal
    checks = entry["checks"]
    checks["roundtrip"] = all(r.get("roundtrip_ok", False) for r in entry["ours"].values()
                              if "error" not in r)
    checks["same_bytes_all_backends"] = same_bytes
    if lz4_block is not None:
        lib, blobs, blocks, lc, ld = measure_liblz4(lz4_block, pages, args, progress, name)
        entry["liblz4"] = lib
        cpu1 = entry["ours"]["cpu_1t"]
        checks["liblz4_decodes_ours"] = liblz4_decodes(lz4_block, reference_batch, blobs)
        ours_of_lib = engines[0].compressor.decompress_batch(blocks, page_size=pages.shape[1])
        checks["ours_decodes_liblz4"] = bool((ours_of_lib[1] == 0).all()
                                             and np.array_equal(ours_of_lib[0], pages))
        vs = entry["vs_liblz4"]
        vs["ratio"] = cpu1["ratio"] / lib["ratio"]
        for key, (c, d) in stats.items():
            vs[f"compress_{key}"] = c.median / lc.median
            vs[f"decompress_{key}"] = d.median / ld.median
    return entry


def print_source(entry):
    print(f"## {entry['name']}: {entry['pages']} pages, {entry['bytes'] / 1e6:.2f} MB")
    print(f"   {entry['origin']}")
    vs = entry["vs_liblz4"]
    lib = entry["liblz4"]
    rows = []
    for key, r in entry["ours"].items():
        if "error" in r:
            rows.append([f"ours, {r['label']}", "FAILED", "", r["error"][:60], "", "", ""])
            continue
        rows.append([f"ours, {r['label']}", f"{r['ratio']:.3f}",
                     fmt_x(vs.get("ratio") if lib else None, 3),
                     fmt_stat(r["compress_mb_s"]), fmt_x(vs.get(f"compress_{key}")),
                     fmt_stat(r["decompress_mb_s"]), fmt_x(vs.get(f"decompress_{key}"))])
    if lib:
        rows.append([lib["label"], f"{lib['ratio']:.3f}", "1.000x",
                     fmt_stat(lib["compress_mb_s"]), "1.00x",
                     fmt_stat(lib["decompress_mb_s"]), "1.00x"])
    print(markdown_table(["run", "ratio", "vs liblz4", "compress MB/s", "vs liblz4",
                          "decompress MB/s", "vs liblz4"], rows))
    failed = [k for k, ok in entry["checks"].items() if not ok]
    print("   checks: " + ("all passed (" + ", ".join(entry["checks"]) + ")" if not failed
                           else "FAILED: " + ", ".join(failed)))
    print()


def summary_table(entries, engines):
    """One row per source, medians only: the table RESULTS.md records."""
    gpu_keys = [(e.key, "gpu" if e.key == "gpu" else "gpu dev") for e in engines
                if e.key.startswith("gpu")]
    headers = ["source", "pages", "ratio ours", "liblz4", "x",
               "C 1T", "C all", "C liblz4", "1T x", "all x",
               "D 1T", "D all", "D liblz4", "1T x", "all x"]
    for _, short in gpu_keys:
        headers += [f"C {short}", "x", f"D {short}", "x"]
    rows = []
    for entry in entries:
        ours, lib, vs = entry["ours"], entry["liblz4"], entry["vs_liblz4"]

        def med(key, what, ours=ours):
            r = ours.get(key)
            return "—" if r is None or "error" in r else fmt_rate(r[what]["median"])

        def lib_med(what, lib=lib):
            return fmt_rate(lib[what]["median"]) if lib else "—"

        row = [entry["name"], entry["pages"], f"{ours['cpu_1t']['ratio']:.3f}",
               f"{lib['ratio']:.3f}" if lib else "—", fmt_x(vs.get("ratio"), 3),
               med("cpu_1t", "compress_mb_s"), med("cpu_all", "compress_mb_s"),
               lib_med("compress_mb_s"),
               fmt_x(vs.get("compress_cpu_1t")), fmt_x(vs.get("compress_cpu_all")),
               med("cpu_1t", "decompress_mb_s"), med("cpu_all", "decompress_mb_s"),
               lib_med("decompress_mb_s"),
               fmt_x(vs.get("decompress_cpu_1t")), fmt_x(vs.get("decompress_cpu_all"))]
        for key, _ in gpu_keys:
            row += [med(key, "compress_mb_s"), fmt_x(vs.get(f"compress_{key}")),
                    med(key, "decompress_mb_s"), fmt_x(vs.get(f"decompress_{key}"))]
        rows.append(row)
    return markdown_table(headers, rows)


def evaluate_targets(entries):
    """Each target of the foundation issue over every source: met or not, and the worst."""
    keys = {"ratio": "ratio", "compress_1t": "compress_cpu_1t",
            "compress_all": "compress_cpu_all", "decompress_1t": "decompress_cpu_1t"}
    results = []
    for key, text, _, threshold in TARGETS:
        values = [(e["name"], e["vs_liblz4"].get(keys[key])) for e in entries
                  if e["vs_liblz4"].get(keys[key]) is not None]
        if not values:
            results.append({"target": key, "description": text, "threshold": threshold,
                            "met": None, "sources": 0})
            continue
        misses = [(n, v) for n, v in values if v < threshold]
        worst = min(values, key=lambda nv: nv[1])
        best = max(values, key=lambda nv: nv[1])
        results.append({"target": key, "description": text, "threshold": threshold,
                        "met": not misses, "sources": len(values),
                        "sources_met": len(values) - len(misses),
                        "worst": {"source": worst[0], "value": worst[1]},
                        "best": {"source": best[0], "value": best[1]},
                        "missed_on": [n for n, _ in misses]})
    return results


def print_targets(targets):
    print("Targets of the foundation issue (CPU medians, ours / liblz4 default):")
    for t in targets:
        if t["met"] is None:
            print(f"  {t['description']}: not evaluated (no liblz4 figures)")
            continue
        verdict = "met" if t["met"] else "NOT MET"
        digits = 3 if t["target"] == "ratio" else 2
        print(f"  {t['description']}: {verdict} on {t['sources_met']} of {t['sources']} "
              f"sources (worst {fmt_x(t['worst']['value'], digits)} {t['worst']['source']}, "
              f"best {fmt_x(t['best']['value'], digits)} {t['best']['source']})")
    print()


def plot(result, axes):
    entries = result["sources"]
    keys = []
    for entry in entries:
        for key, r in entry["ours"].items():
            if "error" not in r and key not in keys:
                keys.append(key)
    labels = {key: r["label"] for e in entries for key, r in e["ours"].items() if "error" not in r}
    series = [(labels[k], [e["ours"].get(k, {}).get("compress_mb_s", {}).get("median", 0)
                           for e in entries]) for k in keys]
    if any(e["liblz4"] for e in entries):
        series.append(("liblz4 default, 1 thread",
                       [e["liblz4"]["compress_mb_s"]["median"] if e["liblz4"] else 0
                        for e in entries]))
    width = 0.8 / len(series)
    xs = np.arange(len(entries))
    for i, (label, values) in enumerate(series):
        axes.bar(xs + i * width, values, width, label=label)
    axes.set_xticks(xs + width * (len(series) - 1) / 2, [e["name"] for e in entries],
                    rotation=30, ha="right", fontsize=7)
    axes.set_ylabel("compress MB/s (median)")
    axes.set_title("compression throughput per page source")
    axes.legend(fontsize=7)
