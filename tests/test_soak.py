"""A soak: many threads through the facade (two drivers, single requests, batches, and
device faults that software retries absorb) and the zswap model at once, for a bounded
time (``GPUACOMP_SOAK_S``, default 3 s).  Every page is checked; every callback fires
once; afterwards no queue holds work and no request or descriptor is left alive."""

import errno
import gc
import os
import threading
import time
import zlib

import lz4.block
import numpy as np

from gpuacomp import acomp
from gpuacomp.acomp import tfm as tfm_registry
from gpuacomp.acomp.request import AcompReq
from gpuacomp.engine.descriptor import Descriptor
from gpuacomp.sources import synthetic_pages
from gpuacomp.zswap import ZswapPool

PAGE = 4096
SOAK_S = float(os.environ.get("GPUACOMP_SOAK_S", "3"))


def live(kind):
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def test_soak_every_page_checked_nothing_lost_nothing_leaked():
    pages = synthetic_pages(64, seed=9).pages
    tfm_registry.reset_configuration()
    requests_before, descriptors_before = live(AcompReq), live(Descriptor)
    acomp.configure("lz4-gpuacomp", device="cpu", sync_mode="async_irq", queue_depth=8)
    acomp.configure("deflate-iaa", device="cpu")
    deadline = time.monotonic() + SOAK_S
    failures, counts = [], {"lz4": 0, "deflate": 0, "zswap": 0, "callbacks": 0}
    lock = threading.Lock()

    def fail(what):
        with lock:
            failures.append(what)

    def facade_worker(driver, check, seed, calls_back):
        tfm = acomp.crypto_alloc_acomp(driver, 0, 0)
        rng = np.random.default_rng(seed)
        wait = acomp.crypto_init_wait()
        heard = []

        def callback(data, err):
            if err != -errno.EINPROGRESS:  # (a backlogged request hears that first)
                heard.append(data)
            acomp.crypto_req_done(wait, err)

        req = acomp.acomp_request_alloc(tfm)
        back = acomp.acomp_request_alloc(tfm)
        dst, out = np.zeros(2 * PAGE, np.uint8), np.zeros(PAGE, np.uint8)
        sent = 0
        while time.monotonic() < deadline:
            page = pages[rng.integers(len(pages))]
            acomp.acomp_request_set_params(req, page, dst, PAGE, len(dst))
            acomp.acomp_request_set_callback(req, acomp.CRYPTO_TFM_REQ_MAY_BACKLOG, callback,
                                             sent)
            err = acomp.crypto_wait_req(acomp.crypto_acomp_compress(req), wait)
            sent += 1
            block = dst[:req.dlen].copy()
            if err != 0 or check(block.tobytes()) != page.tobytes():
                fail((driver, "compress", err))
                continue
            acomp.acomp_request_set_params(back, block, out, len(block), PAGE)
            acomp.acomp_request_set_callback(back, acomp.CRYPTO_TFM_REQ_MAY_BACKLOG,
                                             callback, sent)
            err = acomp.crypto_wait_req(acomp.crypto_acomp_decompress(back), wait)
            sent += 1
            if err != 0 or not (out == page).all():
                fail((driver, "decompress", err))
            if sent % 20 == 0:
                batch = [pages[i] for i in rng.integers(len(pages), size=8)]
                reqs = [acomp.acomp_request_alloc(tfm) for _ in range(8)]
                dsts = [np.zeros(2 * PAGE, np.uint8) for _ in range(8)]
                dlens, errors = [2 * PAGE] * 8, [None] * 8
                if not acomp.crypto_acomp_batch_compress(reqs, None, batch, dsts, dlens,
                                                         errors, 8, True) or any(
                        check(d[:n].tobytes()) != p.tobytes()
                        for d, n, p in zip(dsts, dlens, batch)):
                    fail((driver, "batch", errors))
                for r in reqs:
                    acomp.acomp_request_free(r)
                with lock:
                    counts["lz4" if driver.startswith("lz4") else "deflate"] += 8
        acomp.acomp_request_free(req)
        acomp.acomp_request_free(back)
        acomp.crypto_free_acomp(tfm)
        # async_irq calls back once per request; sync completes in the call, silently.
        if sorted(heard) != (list(range(sent)) if calls_back else []):
            fail((driver, "callbacks", len(heard), sent))
        with lock:
            counts["callbacks"] += len(heard)
            counts["lz4" if driver.startswith("lz4") else "deflate"] += sent

    def zswap_worker(pool, cpu, seed):
        rng = np.random.default_rng(seed)
        out = np.empty(PAGE, np.uint8)
        base = cpu * 1_000_000
        stored = {}
        while time.monotonic() < deadline:
            offset = base + 16 * int(rng.integers(0, 64))
            folio = pages[rng.integers(0, len(pages) - 16):][:16]
            if offset in stored:
                pool.invalidate(offset)  # a folio swapped out again replaces the old one
                for k in range(1, 16):
                    pool.invalidate(offset + k)
            if pool.store(folio, offset, cpu=cpu) != 0:
                fail(("zswap", "store", offset))
                continue
            stored[offset] = folio
            k = int(rng.integers(0, 16))
            if pool.load(offset + k, out, cpu=cpu) != 0 or not (out == folio[k]).all():
                fail(("zswap", "load", offset + k))
            with lock:
                counts["zswap"] += 1

    def fault_worker():
        device = acomp.accelerator("lz4-gpuacomp")
        while time.monotonic() < deadline:
            device.faults.inject("fail", op="decompress")  # absorbed by the software retry
            time.sleep(0.05)

    lz4_check = lambda b: lz4.block.decompress(b, uncompressed_size=PAGE)  # noqa: E731
    deflate_check = lambda b: zlib.decompress(b, -12)  # noqa: E731
    with ZswapPool("lz4", nr_cpus=2, policy="store_as_is") as pool:
        workers = ([threading.Thread(target=facade_worker,
                                     args=("lz4-gpuacomp", lz4_check, s, True))
                    for s in range(4)]
                   + [threading.Thread(target=facade_worker,
                                       args=("deflate-iaa", deflate_check, 10 + s, False))
                      for s in range(2)]
                   + [threading.Thread(target=zswap_worker, args=(pool, cpu, 20 + cpu))
                      for cpu in range(2)]
                   + [threading.Thread(target=fault_worker)])
        for w in workers:
            w.start()
        for w in workers:
            w.join(SOAK_S + 120)
        assert not any(w.is_alive() for w in workers), "a worker hung"
        assert pool.stats["reject_compress_fail"] == 0 and pool.stats["decompress_fail"] == 0
    assert failures == []
    assert counts["lz4"] > 0 and counts["deflate"] > 0 and counts["zswap"] > 0, counts
    for driver in ("lz4-gpuacomp", "deflate-iaa"):
        device = acomp.accelerator(driver)
        device.close()
        assert all(device.queue_state(q) == (0, 0) for q in range(device.queues))
    stats = acomp.accelerator("lz4-gpuacomp").stats.snapshot()["global"]
    assert stats["total_sw_decomp_calls"] > 0, "the injected faults were retried"
    tfm_registry.reset_configuration()
    assert live(AcompReq) <= requests_before, "requests outlived their users"
    assert live(Descriptor) <= descriptors_before, "descriptors outlived their work"
