"""``python -m gpuacomp.zswap``: the zswap model swapping real pages out and in.

Swaps a page source out as folios over N simulated CPUs (threads), loads a fraction
back and checks every page; prints, per compressor and mode, the counters, the
effective ratio (bytes of stored pages over pool bytes, as zsmalloc charges them),
store and load throughput, and the latency of each compression call.  In one run:
the accelerator's driver batched and sequential (the series' "IAA batched vs
sequential"), and the kernel's software drivers that are installed.
"""

import argparse
import json
import logging
import os
import platform
import sys

import numpy as np

from gpuacomp.zswap.workload import FOLIO_PAGES, run

DEFAULT_COMPRESSORS = ("lz4", "lz4-generic", "deflate-iaa", "deflate-iaa-dynamic",
                       "deflate-generic")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m gpuacomp.zswap",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", metavar="PATH",
                        help="pages from a file or a directory of files (default: the "
                             "project's default pages, a live process's memory)")
    parser.add_argument("--pages", type=int, default=4096, help="pages to swap (default 4096)")
    parser.add_argument("--folio", choices=tuple(FOLIO_PAGES), default="64K")
    parser.add_argument("--cpus", type=int, default=4, help="simulated CPUs (default 4)")
    parser.add_argument("--policy", choices=("reject", "store_as_is"), default="reject")
    parser.add_argument("--load-fraction", type=float, default=0.5)
    parser.add_argument("--compressors", default=",".join(DEFAULT_COMPRESSORS),
                        help="comma-separated names; those not registered here are skipped")
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default=None,
                        help="where the accelerator's driver runs (default auto)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per configuration; the median store time is reported")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    return parser.parse_args(argv)


def load_pages(args):
    from gpuacomp.sources import default_pages, file_pages
    if args.corpus:
        sources = file_pages(args.corpus, max_pages=args.pages)
        pages = np.concatenate([s.pages for s in sources])[:args.pages]
        return pages, f"{args.corpus} ({len(sources)} file(s))"
    source = default_pages(args.pages)
    return source.pages, source.origin


def configurations(names):
    from gpuacomp import available_algorithms
    from gpuacomp.algorithms import lookup
    known = {a.name for a in available_algorithms()} | {a.driver for a in available_algorithms()}
    configs, skipped = [], []
    for name in names:
        if name not in known:
            skipped.append(name)
            continue
        if lookup(name).accelerated:
            configs += [(name, True), (name, False)]
        else:
            configs.append((name, False))
    return configs, skipped


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    from gpuacomp import acomp
    acomp.configure(device=args.device)
    pages, origin = load_pages(args)
    configs, skipped = configurations([n for n in args.compressors.split(",") if n])
    say = lambda message: print(f"[zswap] {message}", file=sys.stderr, flush=True)  # noqa: E731
    say(f"{len(pages)} pages from {origin}")
    results = []
    for name, batching in configs:
        options = dict(folio=args.folio, nr_cpus=args.cpus, batching=batching,
                       policy=args.policy, load_fraction=args.load_fraction)
        run(pages[:FOLIO_PAGES[args.folio] * args.cpus], name, **options)  # warm up
        runs = [run(pages, name, seed=r, **options) for r in range(args.repeat)]
        runs.sort(key=lambda r: r.store_s)
        results.append(runs[len(runs) // 2])
        say(f"{name} {results[-1].mode}: {args.repeat} run(s) done")
    print_report(args, origin, results, skipped)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report_json(args, origin, results, skipped), f, indent=1)
    return 1 if any(r.mismatches for r in results) else 0


def print_report(args, origin, results, skipped):
    print(f"# zswap model: {len(results[0].stats) and results[0].pages} pages as "
          f"{args.folio} folios, {args.cpus} CPUs, policy {args.policy}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; pages: {origin}")
    header = ("compressor", "driver", "mode", "backend", "stored", "incompr.", "rejected",
              "ratio", "store MB/s", "load MB/s", "call p50 us", "call p99 us",
              "in acomp", "mismatches")
    rows = []
    for r in results:
        s = r.stats
        rejected = s["reject_compress_poor"] + s["reject_compress_fail"] + s["reject_alloc_fail"]
        rows.append((r.compressor, r.driver, r.mode, r.backend, s["stored_pages"],
                     s["stored_incompressible_pages"], rejected, f"{r.ratio:.2f}",
                     f"{r.store_MBps:.0f}", f"{r.load_MBps:.0f}", f"{r.latency_us(50):.0f}",
                     f"{r.latency_us(99):.0f}", f"{r.compress_share:.0%}", r.mismatches))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in (header, *rows):
        print("  ".join(str(x).rjust(w) for x, w in zip(row, widths)))
    by_key = {(r.compressor, r.mode): r for r in results}
    for r in results:
        sequential = by_key.get((r.compressor, "sequential"))
        if r.mode == "batched" and sequential:
            print(f"{r.compressor}: batched stores {r.store_MBps / sequential.store_MBps:.2f}x "
                  "the throughput of sequential stores (same folios, same backend)")
    print("counters (stored_pages and pool_total_size after the stores):")
    for r in results:
        counters = ", ".join(f"{k}={v}" for k, v in r.stats.items())
        print(f"  {r.compressor} {r.mode}: {counters}")
    if skipped:
        print(f"skipped (not registered here): {', '.join(skipped)}")
    if any(r.mismatches for r in results):
        print("ERROR: some loaded pages differ from what was stored")


def report_json(args, origin, results, skipped):
    return {"args": vars(args), "pages": origin, "skipped": skipped, "results": [
        {"compressor": r.compressor, "driver": r.driver, "mode": r.mode, "backend": r.backend,
         "pages": r.pages, "folio_pages": r.folio_pages, "store_s": r.store_s,
         "load_s": r.load_s, "loaded": r.loaded, "mismatches": r.mismatches,
         "store_errors": r.store_errors, "stats": r.stats, "ratio": r.ratio,
         "store_MBps": r.store_MBps, "load_MBps": r.load_MBps,
         "call_us_p50": r.latency_us(50), "call_us_p99": r.latency_us(99),
         "compress_share": r.compress_share} for r in results]}


if __name__ == "__main__":
    sys.exit(main())
