"""``python -m bench``: gpuacomp's page compression measured, on the GPU when there is
one and on the CPU, against liblz4 and other codecs, on the same pages in one run.

Runners (``--only``, in this order by default): ``throughput`` (ratio and MB/s per page
source, ours on every engine and liblz4, every output checked), ``sweep`` (MB/s against
batch size: where the GPU overtakes the CPU), ``baselines`` (liblz4 HC, zstd, zlib,
libdeflate, ISA-L when installed), ``latency`` (8-page batches through the acomp facade,
p50/p99) and ``nvcomp`` (nvCOMP LZ4 and Deflate, when installed and a GPU ran).

Pages: the project's default pages (live process memory), and each file of every
``--corpus``.  Throughput is MB/s = 10**6 bytes of *uncompressed* page data per second,
for both directions; each figure is the median of ``--repeat`` samples, with their
min-max.  Results go to ``--out`` (JSON and one PNG per runner).
Run ``python -m bench --help`` for the options.
"""

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

from bench.common import Fatal, Progress, machine_header, plural
from bench.engines import first_calls, make_engines
from bench.plots import save_plots
from bench.runners import RUNNERS, Context

DEFAULT_PAGES = 4096
DEFAULT_REPEAT = 5
QUICK_PAGES = 128
MIN_SAMPLE_S = 0.05  # a timed sample lasts at least this long (small inputs loop)
PAGE_SIZE = 4096


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Ratio, speed and latency of gpuacomp's pages against liblz4 and other "
                    "codecs, on the GPU when there is one and on the CPU.")
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
    parser.add_argument("--only", default=",".join(RUNNERS), metavar="NAMES",
                        help="comma-separated runners, in this order by default: "
                             + ", ".join(RUNNERS))
    parser.add_argument("--out", metavar="DIR", default=None,
                        help="where results.json and the plots go (default "
                             "bench-results/<date-time> in the current directory)")
    parser.add_argument("--json", metavar="PATH", help="also write every number to PATH")
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
    args.only = [name for name in args.only.split(",") if name]
    unknown = [name for name in args.only if name not in RUNNERS]
    if unknown or not args.only:
        parser.error(f"--only: unknown runner(s) {', '.join(unknown) or '(none given)'}; "
                     f"known: {', '.join(RUNNERS)}")
    return args


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


# ---------------------------------------------------------------------------- printing

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

    ctx = Context(args, progress, engines, sources, lz4_block, gpu_errors)
    chosen = {name: RUNNERS[name] for name in args.only}
    for runner in chosen.values():
        progress.expect(runner.steps(ctx))
    results = {}
    for name, runner in chosen.items():
        try:
            results[name] = runner.run(ctx)
        except Exception as exc:  # one broken runner must not hide the others
            progress(f"{name} FAILED: {type(exc).__name__}: {exc}")
            print(f"## {name}: FAILED: {type(exc).__name__}: {exc}\n")
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.flush()

    outdir = Path(args.out)
    outdir.mkdir(parents=True, exist_ok=True)
    plots, no_plots = save_plots(results, RUNNERS, outdir)

    throughput = results.get("throughput", {})
    entries = throughput.get("sources", [])
    failed_checks = throughput.get("failed_checks", [])
    failed_runners = [name for name, r in results.items() if "error" in r]
    failed_sources = {e["source"] for e in gpu_errors if e["source"]}
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
    if failed_runners:
        checks += "; RUNNERS FAILED: " + ", ".join(failed_runners)
    total_pages = sum(len(s.pages) for s in sources)
    summary = (f"summary: runners {', '.join(chosen)}; {plural(len(sources), 'page source')}, "
               f"{total_pages} pages; " + "; ".join(ran) + f"; {checks}; "
               f"{progress.elapsed():.1f} s; results in {outdir}")
    print(f"results: {outdir / 'results.json'}"
          + (f"; plots: {', '.join(Path(p).name for p in plots)}" if plots
             else f"; no plots: {no_plots or 'no runner drew one'}"))
    print(summary)

    report = {
        "schema": "gpuacomp-bench/2",
        "command": ["python", "-m", "bench"] + list(args.argv),
        "header": header,
        "options": {"pages": args.pages, "repeat": args.repeat, "device": args.device,
                    "corpus": args.corpus, "quick": args.quick, "only": args.only,
                    "min_sample_s": args.min_sample_s, "page_size": PAGE_SIZE},
        "engines": [{"key": e.key, "label": e.label, "backend": e.backend,
                     "backend_reason": e.compressor.backend_reason} for e in engines],
        "gpu_status": gpu_status,
        "banner": banner,
        "liblz4_skipped": lz4_missing,
        "first_call_s": times,
        "gpu_errors": gpu_errors,
        "sources": entries,
        "targets": throughput.get("targets", []),
        "runners": results,
        "plots": plots,
        "summary": summary,
        # A GPU failure fails the run only when the GPU was insisted on.
        "ok": not failed_checks and not failed_runners
        and not (gpu_errors and args.device == "gpu"),
        "elapsed_s": progress.elapsed(),
    }
    return report


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    args.argv = argv
    if args.out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        args.out = os.path.join("bench-results", stamp)
    progress = Progress()
    try:
        report = run(args, progress)
    except Fatal as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    paths = [Path(args.out) / "results.json"] + ([Path(args.json)] if args.json else [])
    for path in paths:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
            f.write("\n")
        progress(f"wrote {path}")
    if not report["ok"]:
        why = [] if not report["gpu_errors"] else ["--device gpu and the GPU run failed"]
        if "CHECKS FAILED" in report["summary"]:
            why.append("output checks failed")
        if "RUNNERS FAILED" in report["summary"]:
            why.append("a runner failed")
        print(f"bench: failed: {'; '.join(why)}", file=sys.stderr)
        return 1
    progress("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
