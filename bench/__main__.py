"""``python -m bench``: gpuacomp's LZ4 page codec against liblz4, on the same pages.

For each page source (the project's default pages, and each file of every
``--corpus``), in one run: the compression ratio (sum of page sizes over sum of
compressed sizes, every page compressed alone), compression and decompression
throughput of gpuacomp on the CPU with one thread and with all cores (and on the
GPU when there is one), and of liblz4's default mode through the ``lz4`` package
(a Python loop, one call per page, as a kernel compresses pages).  Every output is
checked: our blocks round-trip and liblz4 decodes them, we decode liblz4's blocks,
and every backend produces the same bytes.

Throughput is MB/s = 10**6 bytes of *uncompressed* page data per second, for both
directions; each figure is the median of ``--repeat`` samples, with their min-max.
Run ``python -m bench --help`` for the options.
"""

import argparse
import json
import os
import sys

import numpy as np

from bench.common import (Progress, machine_header, markdown_table, throughput,
                          timed_call)

DEFAULT_PAGES = 4096
DEFAULT_REPEAT = 5
QUICK_PAGES = 128
MIN_SAMPLE_S = 0.05  # a timed sample lasts at least this long (small inputs loop)
FIRST_CALL_PAGES = 8
PAGE_SIZE = 4096

# The foundation issue's targets: (key, description, the value's name, threshold).
TARGETS = (
    ("ratio", "ratio >= liblz4 default", "ours / liblz4 ratio", 1.0),
    ("compress_1t", "compress, 1 thread >= 0.8x liblz4", "ours 1 thread / liblz4", 0.8),
    ("compress_all", "compress, all cores >= 1.5x liblz4 (1 thread)",
     "ours all cores / liblz4", 1.5),
    ("decompress_1t", "decompress, 1 thread >= 0.5x liblz4", "ours 1 thread / liblz4", 0.5),
)


class Fatal(Exception):
    """Stops the benchmark with a message and exit status 1."""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Compression ratio and speed of gpuacomp's LZ4 pages against liblz4.")
    parser.add_argument("--corpus", action="append", default=[], metavar="PATH",
                        help="a file, or a directory whose files are each a page source "
                             "(repeatable); the default pages always run too")
    parser.add_argument("--pages", type=int, default=None, metavar="N",
                        help=f"at most N pages per source (default {DEFAULT_PAGES}; "
                             f"{QUICK_PAGES} with --quick)")
    parser.add_argument("--repeat", type=int, default=None, metavar="R",
                        help=f"timed samples per figure; the median and min-max are "
                             f"reported (default {DEFAULT_REPEAT}; 1 with --quick)")
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default=None,
                        help="where gpuacomp runs besides the CPU baseline: auto (the GPU "
                             "if usable), cpu (CPU only), gpu (fail without a GPU); "
                             "default $GPUACOMP_DEVICE or auto")
    parser.add_argument("--json", metavar="PATH", help="write every number to PATH as JSON")
    parser.add_argument("--quick", action="store_true",
                        help="a tiny run (few pages, one sample, no minimum sample time) "
                             "for smoke tests; its speeds are not meaningful")
    args = parser.parse_args(argv)
    if args.pages is None:
        args.pages = QUICK_PAGES if args.quick else DEFAULT_PAGES
    if args.repeat is None:
        args.repeat = 1 if args.quick else DEFAULT_REPEAT
    if args.pages < 1:
        parser.error(f"--pages must be >= 1, got {args.pages}")
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")
    for path in args.corpus:
        if not os.path.exists(path):
            parser.error(f"--corpus {path}: no such file or directory")
    if args.device is None:
        args.device = os.environ.get("GPUACOMP_DEVICE", "") or "auto"
        if args.device not in ("auto", "cpu", "gpu"):
            parser.error(f"GPUACOMP_DEVICE must be auto, cpu or gpu, got {args.device!r}")
    args.min_sample_s = 0.0 if args.quick else MIN_SAMPLE_S
    return args


# ----------------------------------------------------------------------------- engines

class Engine:
    """One way of running gpuacomp: a Compressor, and whether its input lives on the GPU."""

    def __init__(self, key, label, compressor, resident=False, threads=None):
        self.key = key
        self.label = label
        self.compressor = compressor
        self.resident = resident
        self.threads = threads

    @property
    def backend(self):
        return self.compressor.backend


def make_engines(device, progress):
    """The CPU engines (1 thread, all threads) and the GPU ones when ``device`` allows.

    Returns ``(engines, banner, gpu_status)``: ``banner`` is the loud line printed when
    the GPU was wanted but the run fell back to the CPU; ``gpu_status`` says in a few
    words what happened to the GPU.
    """
    import numba

    from gpuacomp import Compressor

    progress(f"starting gpuacomp (device={device})")
    threads = numba.config.NUMBA_NUM_THREADS  # the CPU backend's default
    cpu1 = Compressor("lz4", device="cpu", threads=1)
    cpu_all = None
    banner = None
    gpu = None
    if device == "cpu":
        gpu_status = "not run (--device cpu)"
    else:
        try:
            probe = Compressor("lz4", device=device)
        except Exception as exc:  # GPUUnavailableError, or the GPU backend failed to start
            if device == "gpu":
                raise Fatal(f"--device gpu: {type(exc).__name__}: {exc}") from exc
            reason = f"the GPU backend failed to start: {type(exc).__name__}: {exc}"
            banner = f"*** GPU not available: {reason} — running on the CPU ***"
            gpu_status = f"failed to start ({type(exc).__name__}: {exc})"
        else:
            if probe.backend == "cpu":
                cpu_all = probe  # keeps the auto Compressor's own backend_reason
                banner = (f"*** GPU not available: {probe.backend_reason} "
                          f"— running on the CPU ***")
                gpu_status = f"not available ({probe.backend_reason})"
            elif probe.backend == "gpu-sim" and device == "auto":
                banner = ("*** GPU path is numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1): "
                          "too slow to time, not run — running on the CPU ***")
                gpu_status = "simulator only, not run (use --device gpu to time it anyway)"
            else:
                gpu = probe
                gpu_status = f"ran ({probe.backend})"
    if cpu_all is None:
        cpu_all = Compressor("lz4", device="cpu")
    engines = [Engine("cpu_1t", "cpu, 1 thread", cpu1, threads=1),
               Engine("cpu_all", f"cpu, {threads} threads (all)", cpu_all, threads=threads)]
    if gpu is not None:
        engines.append(Engine("gpu", f"{gpu.backend}, host-to-host", gpu))
        if gpu.backend == "gpu":
            engines.append(Engine("gpu_resident", "gpu, device-resident", gpu, resident=True))
    return engines, banner, gpu_status


def gpu_sync():
    import cupy
    cupy.cuda.Device().synchronize()


def to_device(pages):
    import cupy
    return cupy.asarray(pages)


def to_host(array):
    return array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else array


def first_calls(engines, pages, progress, gpu_errors):
    """Seconds of the first compress and decompress of each engine (numba compiles then).

    Measured on a few pages, before anything else runs.  A GPU engine whose first call
    fails is reported in ``gpu_errors`` and left out; returns ``(times, engines)``.
    """
    sample = pages[:FIRST_CALL_PAGES]
    times = {}
    kept = []
    for engine in engines:
        progress(f"first call (compiles unless numba's on-disk cache has it): {engine.label}")
        comp = engine.compressor
        sync = gpu_sync if engine.resident else (lambda: None)
        try:
            data = to_device(sample) if engine.resident else sample
            t_c, batch = timed_call(lambda: (comp.compress(data), sync())[0])
            t_d, _ = timed_call(lambda: (comp.decompress(batch), sync())[0])
        except Exception as exc:
            if not engine.key.startswith("gpu"):
                raise
            error = f"{type(exc).__name__}: {exc}"
            progress(f"{engine.label}: first call FAILED: {error}")
            gpu_errors.append({"source": None, "engine": engine.key, "error": error})
            continue
        times[engine.key] = {"compress_s": t_c, "decompress_s": t_d}
        kept.append(engine)
    return times, kept


# ----------------------------------------------------------------------------- sources

def load_sources(args, progress):
    from gpuacomp.sources import default_pages, file_pages

    progress(f"reading the default pages (up to {args.pages})")
    sources = [default_pages(max_pages=args.pages, page_size=PAGE_SIZE)]
    for path in args.corpus:
        progress(f"reading corpus {path}")
        found = file_pages(path, page_size=PAGE_SIZE, max_pages=args.pages)
        if not found:
            progress(f"corpus {path}: no files with data, skipped")
        sources.extend(found)
    return [s for s in sources if len(s)]


# --------------------------------------------------------------------------- measuring

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


# ---------------------------------------------------------------------------- printing

def plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def fmt_x(value, digits=2):
    if value is None:
        return "—"
    return f"{value:.{digits}f}x" if value >= 0.01 else f"{value:.2g}x"


def fmt_rate(value):
    """MB/s: whole numbers, but three significant digits below 100 (simulator, tiny runs)."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def fmt_stat(stat):
    if stat is None:
        return "—"
    if len(stat["samples"]) == 1:
        return fmt_rate(stat["median"])
    return f"{fmt_rate(stat['median'])} ({fmt_rate(stat['min'])}-{fmt_rate(stat['max'])})"


def print_header(header, args, engines, banner, gpu_status, sources, lz4_missing):
    print("gpuacomp benchmark: LZ4 pages, ours vs liblz4")
    print(f"date:     {header['date']}")
    print(f"machine:  {header['platform']}; CPU {header['cpu']}; {header['cores']} cores "
          f"({header['usable_cores']} usable, numba {header['numba_threads']} threads); "
          f"load average {header['load_average']} at the start")
    if "gpu_name" in header:
        print(f"GPU:      {header['gpu_name']}")
    lz4_text = (f"lz4 {header['lz4']} (liblz4 {header['liblz4']})" if header["lz4"]
                else "lz4 not installed")
    print(f"versions: python {header['python']}, numpy {header['numpy']}, "
          f"numba {header['numba']}, {lz4_text}, gpuacomp {header['gpuacomp']}"
          + (f" (git {header['git']})" if header["git"] else ""))
    for engine in engines:
        comp = engine.compressor
        print(f"backend:  {engine.label}: Compressor.backend={comp.backend!r}, "
              f"backend_reason={comp.backend_reason!r}")
    print(f"GPU:      {gpu_status}")
    print(f"device:   --device {args.device}")
    print(f"pages:    {sources[0].name}: {sources[0].origin}")
    print(f"run:      up to {args.pages} pages per source, "
          f"{plural(args.repeat, 'sample')} per figure (median, min-max), "
          f"MB/s = 10**6 uncompressed bytes per second"
          + ("; --quick: speeds not meaningful" if args.quick else ""))
    if lz4_missing:
        print(f"liblz4:   skipped: {lz4_missing}")
    if banner:
        print()
        print(banner)
    print()


def print_first_calls(times, engines):
    parts = []
    for engine in engines:
        t = times[engine.key]
        parts.append(f"{engine.label}: compress {t['compress_s']:.2f} s, "
                     f"decompress {t['decompress_s']:.2f} s")
    print("compile/first call (numba caches compiled code on disk, so only the first run "
          "on a machine compiles):")
    for part in parts:
        print(f"  {part}")
    print()


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


# -------------------------------------------------------------------------------- main

def run(args, progress):
    header = machine_header()
    lz4_missing = None
    try:
        import lz4.block as lz4_block
    except ImportError as exc:
        lz4_block = None
        lz4_missing = (f"the lz4 package is not installed ({exc}); "
                       "pip install -e '.[test]' adds it")
        progress(f"liblz4 columns skipped: {lz4_missing}")

    engines, banner, gpu_status = make_engines(args.device, progress)
    if banner:
        progress(banner)
    if any(e.key == "gpu" and e.backend == "gpu" for e in engines):
        try:
            import cupy
            props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
            header["gpu_name"] = props["name"].decode(errors="replace")
        except Exception as exc:  # the name is decoration; the run goes on
            header["gpu_name"] = f"unknown ({exc})"
    sources = load_sources(args, progress)
    if not sources:
        raise Fatal("no pages to compress")
    gpu_errors = []
    times, engines = first_calls(engines, sources[0].pages, progress, gpu_errors)
    if gpu_errors:
        failed = "; ".join(f"{e['engine']}: {e['error']}" for e in gpu_errors)
        gpu_status = f"FAILED at its first call ({failed})"
        banner = f"*** GPU run failed: {failed} — CPU figures only ***"

    print_header(header, args, engines, banner, gpu_status, sources, lz4_missing)
    print_first_calls(times, engines)

    entries = []
    for source in sources:
        entry = measure_source(source, engines, lz4_block, args, progress, gpu_errors)
        entries.append(entry)
        print_source(entry)
        sys.stdout.flush()

    print("Summary (medians, MB/s of uncompressed data; C = compress, D = decompress, "
          "1T = one thread, all = all cores, x = ours / liblz4):")
    print(summary_table(entries, engines))
    print()
    targets = evaluate_targets(entries)
    print_targets(targets)

    failed_checks = [(e["name"], k) for e in entries for k, ok in e["checks"].items() if not ok]
    failed_sources = {e["source"] for e in gpu_errors if e["source"]}
    total_pages = sum(e["pages"] for e in entries)
    total_mb = sum(e["bytes"] for e in entries) / 1e6
    ran = [f"ours on the CPU (1 and {engines[1].threads} threads)"]
    if any(e.key.startswith("gpu") for e in engines):
        gpu_engine = next(e for e in engines if e.key == "gpu")
        ran.append(f"ours on {gpu_engine.backend}"
                   + (f" (FAILED on {plural(len(failed_sources), 'source')})"
                      if failed_sources else ""))
    else:
        ran.append(f"GPU {gpu_status}")
    ran.append("liblz4 default on the CPU (1 thread)" if lz4_block is not None
               else "liblz4 skipped (lz4 not installed)")
    checks = ("every check passed" if not failed_checks else
              "CHECKS FAILED: " + ", ".join(f"{n}: {k}" for n, k in failed_checks))
    summary = (f"summary: {plural(len(entries), 'page source')}, {total_pages} pages "
               f"({total_mb:.2f} MB); " + "; ".join(ran) + f"; {checks}; "
               f"{progress.elapsed():.1f} s")
    print(summary)

    report = {
        "schema": "gpuacomp-bench/1",
        "command": ["python", "-m", "bench"] + list(args.argv),
        "header": header,
        "options": {"pages": args.pages, "repeat": args.repeat, "device": args.device,
                    "corpus": args.corpus, "quick": args.quick,
                    "min_sample_s": args.min_sample_s, "page_size": PAGE_SIZE},
        "engines": [{"key": e.key, "label": e.label, "backend": e.backend,
                     "backend_reason": e.compressor.backend_reason} for e in engines],
        "gpu_status": gpu_status,
        "banner": banner,
        "liblz4_skipped": lz4_missing,
        "first_call_s": times,
        "gpu_errors": gpu_errors,
        "sources": entries,
        "targets": targets,
        "summary": summary,
        # A GPU failure fails the run only when the GPU was insisted on.
        "ok": not failed_checks and not (gpu_errors and args.device == "gpu"),
        "elapsed_s": progress.elapsed(),
    }
    return report


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    args.argv = argv
    progress = Progress()
    try:
        report = run(args, progress)
    except Fatal as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
        progress(f"wrote {args.json}")
    if not report["ok"]:
        why = [] if not report["gpu_errors"] else ["--device gpu and the GPU run failed"]
        if "CHECKS FAILED" in report["summary"]:
            why.append("output checks failed")
        print(f"bench: failed: {'; '.join(why)}", file=sys.stderr)
        return 1
    progress("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
