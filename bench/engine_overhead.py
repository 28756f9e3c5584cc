"""``python -m bench.engine_overhead``: what the emulated accelerator costs per batch.

The same 8-page batches (``crypto_acomp_batch_size``, zswap's batch) go, round after
round and in turn, through:

- ``codec``: the backend alone (no queue, no engine): the floor;
- ``Compressor``: ``Compressor.compress`` (submit + wait through the engine);
- ``batch``: ``acomp.crypto_acomp_batch_compress(..., parallel=True)``;
- ``sequential``: the same call with ``parallel=False`` (one request, page by page);

each with ``verify_compress`` off and on.  Figures are microseconds per 8-page batch:
the median over rounds, with min-max; the ratio batch / Compressor is taken per round
(the two measured side by side) and its median reported.  Pages: the project's default
pages, or ``--corpus FILE`` (flat 4096-byte pages, or any file cut into pages).

``--stream N`` adds the streaming comparison: N pages through the facade in
``async_irq`` mode, as chains of requests submitted back to back (the queue full, the
rest backlogged), against one ``Compressor.compress`` of the same N pages.
"""

import argparse
import errno
import json
import statistics
import sys
import threading
import time

import numpy as np

from bench.common import Progress, machine_header, markdown_table

BATCH = 8
PAGE = 4096


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.engine_overhead",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", metavar="FILE", help="pages from FILE (the first file of "
                        "a directory) instead of the default pages")
    parser.add_argument("--batches", type=int, default=32, help="8-page batches per round")
    parser.add_argument("--rounds", type=int, default=15, help="rounds (default 15)")
    parser.add_argument("--device", choices=("auto", "cpu", "gpu"), default=None)
    parser.add_argument("--stream", type=int, default=0, metavar="N",
                        help="also stream N pages through the facade (see above)")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    return parser.parse_args(argv)


def load_pages(args, count):
    if args.corpus:
        from gpuacomp.sources import file_pages
        source = file_pages(args.corpus, max_pages=count)[0]
    else:
        from gpuacomp.sources import default_pages
        source = default_pages(count)
    pages = np.ascontiguousarray(source.pages[:count])
    return pages, source.origin


def contenders(device, pages, verify):
    import gpuacomp
    from gpuacomp import acomp
    from gpuacomp.acomp import tfm as registry
    from gpuacomp.kernels.lz4 import compress_bound

    registry.reset_configuration()
    acomp.configure(device=device, verify_compress=verify)
    tfm = acomp.crypto_alloc_acomp("lz4", 0, 0)
    reqs = [acomp.acomp_request_alloc(tfm) for _ in range(BATCH)]
    dsts = [np.zeros(2 * PAGE, np.uint8) for _ in range(BATCH)]
    errors = [0] * BATCH
    compressor = gpuacomp.Compressor(device=device, verify=verify)
    backend = compressor.accelerator._backend
    slot = compress_bound(PAGE)
    batches = [pages[i:i + BATCH] for i in range(0, len(pages) - BATCH + 1, BATCH)]
    rows = [list(b) for b in batches]

    def facade(parallel):
        def run():
            for batch in rows:
                dlens = [2 * PAGE] * BATCH
                if not acomp.crypto_acomp_batch_compress(reqs, None, batch, dsts, dlens,
                                                         errors, BATCH, parallel):
                    raise RuntimeError(f"a page failed: {errors}")
        return run

    def direct():
        for batch in batches:
            compressor.compress(batch)

    def codec():
        for batch in batches:
            backend.compress(batch, slot, compressor.candidates)

    suffix = "+verify" if verify else ""
    named = {"codec": codec, f"Compressor{suffix}": direct, f"batch{suffix}": facade(True),
             f"sequential{suffix}": facade(False)}
    if verify:
        del named["codec"]  # the codec has no verify

    def close():
        acomp.crypto_free_acomp(tfm)
        registry.reset_configuration()

    return named, len(batches), close, compressor.backend


def stream_through_facade(device, pages, chain=1024, queue_depth=128):
    """Seconds to compress ``pages`` through the facade and directly: ``(facade, direct)``.

    The facade side: requests, buffers and chains are made beforehand (as zswap's
    per-CPU contexts are); timed are setting the parameters, submitting every chain
    back to back (``async_irq``, MAY_BACKLOG: the queue fills, the rest waits in the
    backlog) and waiting for every callback.  Every page must succeed.
    """
    import gpuacomp
    from gpuacomp import acomp
    from gpuacomp.acomp import tfm as registry

    n = len(pages)
    registry.reset_configuration()
    acomp.configure(device=device, sync_mode="async_irq", queue_depth=queue_depth,
                    verify_compress=False)
    tfm = acomp.crypto_alloc_acomp("lz4", 0, 0)
    reqs = [acomp.acomp_request_alloc(tfm) for _ in range(n)]
    dsts = np.zeros((n, 2 * PAGE), np.uint8)
    remaining = [0]
    finished = threading.Event()
    lock = threading.Lock()

    def done(data, err):
        if err == -errno.EINPROGRESS:
            return
        if err:
            raise RuntimeError(f"chain {data} failed: {err}")
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                finished.set()

    heads = list(range(0, n, chain))
    for h in heads:  # chains stay chained: each run resubmits their heads
        acomp.acomp_request_set_callback(reqs[h], acomp.CRYPTO_TFM_REQ_MAY_BACKLOG, done, h)
        for req in reqs[h + 1:h + chain]:
            acomp.acomp_request_chain(req, reqs[h])

    def facade():
        finished.clear()
        remaining[0] = len(heads)
        for i in range(n):
            acomp.acomp_request_set_params(reqs[i], pages[i], dsts[i], PAGE, 2 * PAGE)
        for h in heads:
            err = acomp.crypto_acomp_compress(reqs[h])
            if err not in (-errno.EINPROGRESS, -errno.EBUSY):
                raise RuntimeError(f"chain {h}: submit returned {err}")
        if not finished.wait(600):
            raise RuntimeError("the facade did not finish in 600 s")

    compressor = gpuacomp.Compressor(device=device)

    def direct():
        compressor.compress(pages)

    try:
        facade()
        direct()  # warm-ups
        rounds = [(_seconds(facade), _seconds(direct)) for _ in range(3)]  # side by side
        facade_s, direct_s = (min(times) for times in zip(*rounds))
    finally:
        acomp.crypto_free_acomp(tfm)
        registry.reset_configuration()
    return facade_s, direct_s


def _seconds(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(args, progress):
    pages, origin = load_pages(args, args.batches * BATCH)
    progress(f"{len(pages)} pages from {origin}")
    results, ratios = {}, {}
    backend = None
    for verify in (False, True):
        named, nbatches, close, backend = contenders(args.device, pages, verify)
        for run in named.values():
            run()  # warm up: compilation and first-touch are not timed
        samples = {name: [] for name in named}
        pair = []
        for r in range(args.rounds):
            for name, run in named.items():
                t0 = time.perf_counter()
                run()
                samples[name].append((time.perf_counter() - t0) / nbatches * 1e6)
            suffix = "+verify" if verify else ""
            pair.append(samples[f"batch{suffix}"][-1] / samples[f"Compressor{suffix}"][-1])
        close()
        results.update(samples)
        ratios["verify on" if verify else "verify off"] = pair
        progress(f"verify {'on' if verify else 'off'}: {args.rounds} rounds done")
    return pages, origin, backend, results, ratios


def main(argv=None):
    args = parse_args(argv)
    progress = Progress()
    header = machine_header()
    pages, origin, backend, results, ratios = measure(args, progress)
    print(f"# engine overhead: {BATCH}-page batches, backend {backend}")
    print(f"machine: {header.get('cpu')} ({header.get('cores')} cores); pages: {origin}")
    rows = [[name, f"{statistics.median(v):.0f}", f"{min(v):.0f}-{max(v):.0f}"]
            for name, v in results.items()]
    print(markdown_table(["path", "us/batch median", "min-max"], rows))
    for label, pair in ratios.items():
        print(f"batch / Compressor ({label}): median {statistics.median(pair):.2f}x "
              f"(min {min(pair):.2f}, max {max(pair):.2f}) over {len(pair)} rounds")
    streaming = None
    if args.stream:
        stream_pages = np.ascontiguousarray(
            np.resize(pages, (args.stream, PAGE)))  # the batches' pages, repeated
        facade_s, direct_s = stream_through_facade(args.device, stream_pages)
        mb = stream_pages.nbytes / 1e6
        streaming = {"pages": args.stream, "facade_MBps": mb / facade_s,
                     "direct_MBps": mb / direct_s, "facade_over_direct": direct_s / facade_s}
        print(f"streaming {args.stream} pages: facade {mb / facade_s:.0f} MB/s, direct "
              f"{mb / direct_s:.0f} MB/s: the facade reaches {direct_s / facade_s:.0%}"
              " of the direct batch (best of 3 each)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"header": header, "origin": origin, "backend": backend,
                       "us_per_batch": results, "ratios": ratios, "streaming": streaming},
                      f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
