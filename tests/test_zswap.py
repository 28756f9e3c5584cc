"""The zswap model: every counter moves, the policies, the pool limit and writeback,
loads under concurrency, the workload; on the CPU path, and a store and load in the
simulator tier."""

import errno
import threading

import numpy as np
import pytest

from gpuacomp import acomp
from gpuacomp.acomp import tfm as tfm_registry
from gpuacomp.device import gpu_unavailable_reason
from gpuacomp.zswap import COUNTERS, ZswapPool
from gpuacomp.zswap.zsmalloc import ZsPool, class_size, pages_per_zspage

PAGE = 4096


def text_pages(n, seed=0):
    words = [b"alpha", b"beta", b"gamma", b"delta", b"page", b"swap", b"zswap", b"folio"]
    rng = np.random.default_rng(seed)
    raw = b" ".join(words[i] for i in rng.integers(0, len(words), n * PAGE))[:n * PAGE]
    return np.frombuffer(raw, np.uint8).reshape(n, PAGE).copy()


def random_pages(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, PAGE), dtype=np.uint8)


@pytest.fixture(autouse=True)
def fresh_device():
    tfm_registry.reset_configuration()
    acomp.configure(device="cpu")
    yield
    tfm_registry.reset_configuration()


@pytest.fixture
def pool():
    with ZswapPool("lz4", nr_cpus=2) as p:
        yield p


def load_all(pool, offsets, cpu=0):
    out = np.empty(PAGE, np.uint8)
    pages = []
    for offset in offsets:
        assert pool.load(offset, out, cpu=cpu) == 0, offset
        pages.append(out.copy())
    return np.stack(pages)


# --- store and load ------------------------------------------------------------------

@pytest.mark.parametrize("folio_pages", [1, 4, 16, 512])
def test_store_and_exclusive_load(pool, folio_pages):
    folio = text_pages(folio_pages)
    assert pool.store(folio, 1000) == 0
    stats = pool.stats
    assert stats["stored_pages"] == folio_pages
    assert stats["pool_total_size"] > 0
    if folio_pages == 512:  # few objects per class still cost whole zspages
        assert stats["pool_total_size"] < folio_pages * PAGE
    np.testing.assert_array_equal(load_all(pool, range(1000, 1000 + folio_pages)), folio)
    assert pool.stats["stored_pages"] == 0 and pool.stats["pool_total_size"] == 0
    out = np.empty(PAGE, np.uint8)
    assert pool.load(1000, out) == -errno.ENOENT, "an exclusive load drops the entry"


def test_batched_and_sequential_store_the_same_bytes():
    folio = text_pages(16, seed=3)
    sizes = []
    for batching in (True, False):
        with ZswapPool("lz4", batching=batching) as p:
            assert p.cpus[0].nr_reqs == (8 if batching else 1)
            assert p.store(folio, 0) == 0
            sizes.append(p.stats["pool_total_size"])
            np.testing.assert_array_equal(load_all(p, range(16)), folio)
    assert sizes[0] == sizes[1]


def test_software_driver_stores_page_by_page():
    with ZswapPool("lz4-generic") as p:
        assert p.cpus[0].nr_reqs == 1 and p.driver == "lz4-generic"
        folio = text_pages(4)
        assert p.store(folio, 7) == 0
        np.testing.assert_array_equal(load_all(p, range(7, 11)), folio)


def test_store_replaces_and_invalidate_forgets(pool):
    assert pool.store(text_pages(2, seed=1), 0) == 0
    newer = text_pages(2, seed=2)
    assert pool.store(newer, 0) == 0
    assert pool.stats["stored_pages"] == 2
    pool.invalidate(1)
    assert pool.stats["stored_pages"] == 1
    np.testing.assert_array_equal(load_all(pool, [0])[0], newer[0])
    assert pool.load(1, np.empty(PAGE, np.uint8)) == -errno.ENOENT


@pytest.mark.parametrize("call, error", [
    (lambda p: p.store(np.zeros((2, 100), np.uint8), 0), ValueError),
    (lambda p: p.store(np.zeros((513, PAGE), np.uint8), 0), ValueError),
    (lambda p: p.store(np.zeros((1, PAGE), np.int32), 0), TypeError),
    (lambda p: p.store(text_pages(1), -1), ValueError),
    (lambda p: p.store(text_pages(1), 0, cpu=2), ValueError),
    (lambda p: p.load(0, np.empty(100, np.uint8)), TypeError),
])
def test_bad_arguments(pool, call, error):
    with pytest.raises(error):
        call(pool)


def test_bad_pool_settings():
    with pytest.raises(ValueError, match="policy"):
        ZswapPool("lz4", policy="keep")
    with pytest.raises(ValueError, match="nr_cpus"):
        ZswapPool("lz4", nr_cpus=0)
    with pytest.raises(OSError):
        ZswapPool("zstd-fancy")


# --- every counter -------------------------------------------------------------------

def test_counters_are_the_debugfs_names(pool):
    assert set(pool.stats) == set(COUNTERS)
    assert set(pool.stats.values()) == {0}


def test_zero_folio_never_reaches_zswap(pool):
    assert pool.store(np.zeros((4, PAGE), np.uint8), 40) == 0
    stats = pool.stats
    assert stats["zero_filled_pages"] == 4 and stats["stored_pages"] == 0
    assert stats["pool_total_size"] == 0
    out = np.full(PAGE, 7, np.uint8)
    assert pool.load(41, out) == 0 and not out.any()


def test_reject_policy_fails_the_whole_folio(pool):
    assert pool.store(text_pages(4, seed=9), 100) == 0  # older entries at those offsets
    folio = text_pages(4)
    folio[2] = random_pages(1)[0]
    assert pool.store(folio, 100) == -errno.ENOSPC
    stats = pool.stats
    assert stats["reject_compress_poor"] == 1
    assert stats["stored_pages"] == 0 and stats["pool_total_size"] == 0, \
        "nothing of the folio (nor the old data at its offsets) may stay"


def test_store_as_is_round_trips_incompressible_pages():
    with ZswapPool("lz4", policy="store_as_is") as p:
        folio = text_pages(4)
        folio[1] = random_pages(1)[0]
        assert p.store(folio, 0) == 0
        stats = p.stats
        assert stats["stored_pages"] == 4 and stats["stored_incompressible_pages"] == 1
        np.testing.assert_array_equal(load_all(p, range(4)), folio)


def test_compress_failure_is_reject_compress_fail(pool):
    acomp.accelerator().faults.inject("fail", op="compress")
    assert pool.store(text_pages(8), 0) == -errno.EINVAL
    stats = pool.stats
    assert stats["reject_compress_fail"] == 1 and stats["stored_pages"] == 0


def test_allocation_failure_is_reject_alloc_fail(pool):
    pool.fail_next_alloc()
    assert pool.store(text_pages(4), 0) == -errno.ENOMEM
    stats = pool.stats
    assert stats["reject_alloc_fail"] == 1 and stats["stored_pages"] == 0
    assert stats["pool_total_size"] == 0, "what the folio had allocated is freed"


def test_decompress_failure_keeps_the_entry(pool):
    folio = text_pages(2)
    assert pool.store(folio, 0) == 0
    assert pool.corrupt(1)
    out = np.empty(PAGE, np.uint8)
    assert pool.load(1, out) == -errno.EIO
    stats = pool.stats
    assert stats["decompress_fail"] == 1 and stats["stored_pages"] == 2
    np.testing.assert_array_equal(load_all(pool, [0])[0], folio[0])


def test_pool_limit_rejects_then_writeback_makes_room():
    # 40 pages of RAM, 50%: the pool may hold 20 pages of zspages.
    with ZswapPool("lz4", policy="store_as_is", total_ram_pages=40, max_pool_percent=50,
                   accept_threshold_percent=50) as p:
        pages = random_pages(30)  # stored as is: a page each
        results = [p.store(pages[i:i + 1], i) for i in range(30)]
        stats = p.stats
        assert stats["pool_limit_hit"] >= 1
        assert -errno.ENOMEM in results
        assert stats["written_back_pages"] >= 1
        assert stats["pool_total_size"] <= 20 * PAGE
        for offset, page in p.swap_device.items():  # written back: the page itself
            assert page == pages[offset].tobytes()
        out = np.empty(PAGE, np.uint8)
        for offset in range(30):
            err = p.load(offset, out)
            if err == 0:
                np.testing.assert_array_equal(out, pages[offset])
            else:
                assert err == -errno.ENOENT


def test_pool_limit_without_writeback_only_rejects():
    with ZswapPool("lz4", policy="store_as_is", total_ram_pages=40, max_pool_percent=25,
                   writeback=False) as p:
        results = [p.store(random_pages(1, seed=i), i) for i in range(20)]
        assert results.count(0) == 10 and results.count(-errno.ENOMEM) == 10
        assert p.stats["pool_limit_hit"] == 10 and p.stats["written_back_pages"] == 0


# --- concurrency ---------------------------------------------------------------------

def test_cpus_in_threads_load_exactly_what_they_stored():
    cpus, folios_per_cpu, k = 6, 12, 4
    data = text_pages(cpus * folios_per_cpu * k, seed=5)
    data[::7] = random_pages(len(data[::7]), seed=6)
    failures = []
    with ZswapPool("lz4", nr_cpus=cpus, policy="store_as_is") as p:
        def worker(cpu):
            out = np.empty(PAGE, np.uint8)
            for f in range(folios_per_cpu):
                first = (cpu * folios_per_cpu + f) * k
                if p.store(data[first:first + k], first, cpu=cpu) != 0:
                    failures.append(("store", first))
            for f in range(folios_per_cpu):
                first = (cpu * folios_per_cpu + f) * k
                for offset in range(first, first + k):
                    if p.load(offset, out, cpu=cpu) != 0 or \
                            not np.array_equal(out, data[offset]):
                        failures.append(("load", offset))

        threads = [threading.Thread(target=worker, args=(c,)) for c in range(cpus)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert failures == []
        assert p.stats["stored_pages"] == 0 and p.stats["pool_total_size"] == 0


# --- zsmalloc ------------------------------------------------------------------------

def test_zsmalloc_classes_and_zspages():
    assert class_size(1) == 32 and class_size(33) == 48 and class_size(4096) == 4096
    assert pages_per_zspage(4096) == 1 and pages_per_zspage(32) == 1
    assert pages_per_zspage(3264) == 4  # 5 objects in 4 pages waste the least
    zs = ZsPool()
    handles = [zs.malloc(1000) for _ in range(4)]  # class 1008: 4 objects in one page
    assert pages_per_zspage(1008) == 1 and zs.total_size == PAGE
    handles.append(zs.malloc(1000))
    assert zs.total_size == 2 * PAGE, "a fifth object opens a second zspage"
    zs.free(handles.pop())
    assert zs.total_size == PAGE, "an empty zspage is freed"
    for h in handles:
        zs.free(h)
    assert zs.total_size == 0
    with pytest.raises(ValueError):
        zs.malloc(4097)


# --- the workload ---------------------------------------------------------------------

def test_workload_runs_and_checks_every_page(tmp_path):
    from gpuacomp.zswap.__main__ import main
    corpus = tmp_path / "pages.bin"
    pages = text_pages(64)
    pages[5] = random_pages(1)[0]
    pages[16:32] = 0
    corpus.write_bytes(pages.tobytes())
    out = tmp_path / "zswap.json"
    assert main(["--corpus", str(corpus), "--pages", "64", "--folio", "16K", "--cpus", "2",
                 "--repeat", "1", "--device", "cpu", "--json", str(out)]) == 0
    import json
    results = json.loads(out.read_text())["results"]
    modes = {(r["driver"], r["mode"]) for r in results}
    assert {("lz4-gpuacomp", "batched"), ("lz4-gpuacomp", "sequential"),
            ("lz4-generic", "sequential")} <= modes
    for r in results:
        assert r["mismatches"] == 0
        assert r["stats"]["zero_filled_pages"] == 16
        assert r["stats"]["reject_compress_poor"] == 1  # the random page's folio fails


# --- the GPU path --------------------------------------------------------------------

@pytest.mark.sim
@pytest.mark.skipif(gpu_unavailable_reason() is not None, reason="no GPU path")
def test_store_and_load_on_the_gpu_path():
    tfm_registry.reset_configuration()
    acomp.configure(device="gpu")
    with ZswapPool("lz4") as p:
        folio = text_pages(2)
        assert p.store(folio, 0) == 0
        assert p.cpus[0].tfm.device.backend.startswith("gpu")
        np.testing.assert_array_equal(load_all(p, range(2)), folio)
