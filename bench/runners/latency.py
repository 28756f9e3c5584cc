"""``latency``: how long one 8-page batch (zswap's batch) takes through the acomp facade,
per call: p50 and p99 over many calls, in the facade's modes, with
``Compressor.compress`` of the same pages as the reference."""

import errno
import threading
import time

import numpy as np

from bench.common import markdown_table

TITLE = "latency: 8-page batches through the acomp facade"
BATCH = 8
PAGE = 4096
# The async mode last: once another thread (the engine's) has run a numba parallel
# region, the caller's own regions run slower on this OpenMP layer (see RESULTS.md).
MODES = ("Compressor.compress", "batch_compress, sync mode", "8 requests, sync mode",
         "8 requests, async_irq mode")


def steps(ctx):
    return len(MODES)


def run(ctx):
    import gpuacomp
    from gpuacomp import acomp
    from gpuacomp.acomp import tfm as registry

    calls = 10 if ctx.args.quick else 200
    pages = np.ascontiguousarray(ctx.sources[0].pages[:BATCH])
    if len(pages) < BATCH:
        pages = np.resize(pages, (BATCH, PAGE))
    registry.reset_configuration()
    acomp.configure(device=ctx.args.device)
    tfm = acomp.crypto_alloc_acomp("lz4", 0, 0)
    reqs = [acomp.acomp_request_alloc(tfm) for _ in range(BATCH)]
    dsts = [np.zeros(2 * PAGE, np.uint8) for _ in range(BATCH)]
    compressor = gpuacomp.Compressor(device=ctx.args.device, verify=True)
    results = {}
    try:
        for mode in MODES:
            ctx.progress.step(f"latency: {mode}")
            call = _call(mode, acomp, tfm, reqs, dsts, pages, compressor)
            call()  # warm up
            samples = []
            for _ in range(calls):
                t0 = time.perf_counter()
                call()
                samples.append((time.perf_counter() - t0) * 1e6)
            results[mode] = {"p50_us": float(np.percentile(samples, 50)),
                             "p99_us": float(np.percentile(samples, 99)),
                             "min_us": min(samples), "max_us": max(samples), "calls": calls}
        backend = tfm.device.backend
    finally:
        acomp.crypto_free_acomp(tfm)
        registry.reset_configuration()
    print(f"## latency: one {BATCH}-page batch per call, {calls} calls, backend {backend}, "
          "verify_compress on")
    print(markdown_table(["path", "p50 us", "p99 us", "min-max us"],
                         [[m, f"{r['p50_us']:.0f}", f"{r['p99_us']:.0f}",
                           f"{r['min_us']:.0f}-{r['max_us']:.0f}"] for m, r in results.items()]))
    print()
    return {"backend": backend, "modes": results}


def _call(mode, acomp, tfm, reqs, dsts, pages, compressor):
    rows = list(pages)
    if mode == "Compressor.compress":
        return lambda: compressor.compress(pages)
    if mode == "batch_compress, sync mode":
        def batch():
            acomp.configure(sync_mode="sync")
            dlens, errors = [2 * PAGE] * BATCH, [0] * BATCH
            if not acomp.crypto_acomp_batch_compress(reqs, None, rows, dsts, dlens, errors,
                                                     BATCH, True):
                raise RuntimeError(f"batch failed: {errors}")
        return batch
    if mode == "8 requests, async_irq mode":
        def singles_async():
            acomp.configure(sync_mode="async_irq")
            left, failures = [BATCH], []
            done = threading.Event()

            def callback(data, err):
                if err == -errno.EINPROGRESS:  # a backlog notice: the result follows
                    return
                if err:
                    failures.append(err)
                left[0] -= 1
                if left[0] == 0:
                    done.set()

            for req, page, dst in zip(reqs, rows, dsts):
                acomp.acomp_request_set_params(req, page, dst, PAGE, 2 * PAGE)
                acomp.acomp_request_set_callback(req, acomp.CRYPTO_TFM_REQ_MAY_BACKLOG,
                                                 callback, None)
                acomp.crypto_acomp_compress(req)
            done.wait()
            if failures:
                raise RuntimeError(f"requests failed: {failures}")
        return singles_async

    def singles_sync():
        acomp.configure(sync_mode="sync")
        for req, page, dst in zip(reqs, rows, dsts):
            acomp.acomp_request_set_params(req, page, dst, PAGE, 2 * PAGE)
            if acomp.crypto_acomp_compress(req) != 0:
                raise RuntimeError("request failed")
    return singles_sync


def plot(result, axes):
    modes = list(result["modes"])
    p50 = [result["modes"][m]["p50_us"] for m in modes]
    p99 = [result["modes"][m]["p99_us"] for m in modes]
    ys = range(len(modes))
    axes.barh(ys, p99, color="lightgrey", label="p99")
    axes.barh(ys, p50, color="tab:blue", label="p50")
    axes.set_yticks(list(ys), modes)
    axes.set_xlabel("microseconds per 8-page batch")
    axes.set_title(f"latency through the facade ({result['backend']})")
    axes.legend()
