"""The zswap workload: swap a page source out as folios on N simulated CPUs, load a
fraction back, check every page, and measure (``python -m gpuacomp.zswap``)."""

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from gpuacomp.zswap.percpu import PAGE_SIZE
from gpuacomp.zswap.pool import ZswapPool

FOLIO_PAGES = {"4K": 1, "16K": 4, "64K": 16, "2M": 512}


@dataclass
class RunResult:
    """One configuration's numbers (times in seconds, sizes in bytes)."""

    compressor: str
    driver: str
    mode: str
    backend: str
    pages: int
    folio_pages: int
    store_s: float
    load_s: float
    loaded: int
    mismatches: int
    store_errors: dict
    stats: dict
    latencies: list = field(repr=False)
    compress_s: float = 0.0
    store_work_s: float = 0.0

    @property
    def store_MBps(self):
        return self.pages * PAGE_SIZE / self.store_s / 1e6

    @property
    def load_MBps(self):
        return self.loaded * PAGE_SIZE / self.load_s / 1e6 if self.load_s else 0.0

    @property
    def ratio(self):
        """Bytes of the pages zswap holds over the bytes its pool takes."""
        pool = self.stats["pool_total_size"]
        return self.stats["stored_pages"] * PAGE_SIZE / pool if pool else float("inf")

    @property
    def compress_share(self):
        """Of the time inside store(), the part inside the acomp calls."""
        return self.compress_s / self.store_work_s if self.store_work_s else 0.0

    def latency_us(self, q):
        return float(np.percentile(self.latencies, q) * 1e6) if self.latencies else 0.0


def run(pages, compressor="lz4", *, folio="64K", nr_cpus=4, batching=True,
        policy="reject", load_fraction=0.5, seed=0, **pool_options):
    """Store ``pages`` as folios of ``folio`` size over ``nr_cpus`` threads, then load
    ``load_fraction`` of them back (also over the threads) and compare each."""
    k = FOLIO_PAGES[folio]
    n = len(pages) - len(pages) % k
    if n == 0:
        raise ValueError(f"{len(pages)} pages do not make one {folio} folio")
    folios = [(i, pages[i:i + k]) for i in range(0, n, k)]
    pool = ZswapPool(compressor, nr_cpus=nr_cpus, policy=policy, batching=batching,
                     **pool_options)
    try:
        store_errors = {}
        lock = threading.Lock()

        def store_share(cpu):
            for offset, folio_pages in folios[cpu::nr_cpus]:
                err = pool.store(folio_pages, offset, cpu=cpu)
                if err:
                    with lock:
                        store_errors[err] = store_errors.get(err, 0) + 1

        store_s = _in_threads(store_share, nr_cpus)
        stats = pool.stats
        rng = np.random.default_rng(seed)
        chosen = np.sort(rng.choice(n, int(n * load_fraction), replace=False))
        outcome = {"loaded": 0, "mismatches": 0}

        def load_share(cpu):
            out = np.empty(PAGE_SIZE, np.uint8)
            loaded = mismatches = 0
            for offset in chosen[cpu::nr_cpus]:
                err = pool.load(int(offset), out, cpu=cpu)
                if err == 0:
                    loaded += 1
                    mismatches += not np.array_equal(out, pages[offset])
                elif int(offset) in pool.swap_device:
                    mismatches += pool.swap_device[int(offset)] != pages[offset].tobytes()
            with lock:
                outcome["loaded"] += loaded
                outcome["mismatches"] += mismatches

        load_s = _in_threads(load_share, nr_cpus)
        ctx0 = pool.cpus[0]
        return RunResult(
            compressor, pool.driver, "batched" if ctx0.batches else "sequential",
            ctx0.tfm.device.backend if ctx0.tfm.device is not None else "cpu",
            n, k, store_s, load_s, outcome["loaded"], outcome["mismatches"], store_errors,
            stats, [t for c in pool.cpus for t in c.compress_latencies],
            sum(c.compress_seconds for c in pool.cpus), sum(c.store_seconds for c in pool.cpus))
    finally:
        pool.close()


def _in_threads(work, count):
    """Run ``work(cpu)`` for every CPU in its own thread; seconds until all are done.
    The first exception of any thread is raised here."""
    failures = []

    def guarded(cpu):
        try:
            work(cpu)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(cpu,)) for cpu in range(count)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return time.perf_counter() - t0
