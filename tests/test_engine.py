"""The emulated accelerator under the Pythonic API: the queue, verify, faults, fallback,
the software driver, and the registry of drivers."""

import errno
import threading

import lz4.block
import numpy as np
import pytest

import gpuacomp
from gpuacomp.engine import Accelerator
from gpuacomp.engine.descriptor import COMPRESS, Descriptor

from test_api import blocks_of as blocks, some_pages as pages_of

PAGE = 4096


# --- registry ------------------------------------------------------------------------

def test_registry_has_the_software_driver_below_the_accelerator():
    drivers = {a.driver: a for a in gpuacomp.available_algorithms()}
    assert drivers["lz4-gpuacomp"].priority == 300 and drivers["lz4-gpuacomp"].accelerated
    assert drivers["lz4-generic"].priority == 100 and not drivers["lz4-generic"].accelerated
    assert gpuacomp.Compressor("lz4", device="cpu").algorithm.driver == "lz4-gpuacomp"


def test_software_driver_needs_its_library(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "lz4" else real(name, *a))
    assert "lz4-generic" not in {a.driver for a in gpuacomp.available_algorithms()}
    with pytest.raises(ValueError, match="needs the 'lz4' package"):
        gpuacomp.Compressor("lz4-generic")


def test_compressor_runs_the_software_driver():
    pages = pages_of(5)
    batch = gpuacomp.Compressor("lz4-generic").compress(pages)
    assert batch.algorithm == "lz4-generic" and batch.backend == "cpu"
    for i, block in enumerate(blocks(batch)):
        assert block == lz4.block.compress(pages[i], store_size=False)


# --- the queue -----------------------------------------------------------------------

def test_submits_beyond_the_queue_depth_wait_in_the_backlog():
    c = gpuacomp.Compressor(device="cpu", queue_depth=2)
    with c.accelerator.paused():
        futures = [c.submit(pages_of(2, seed=i)) for i in range(5)]
        assert c.accelerator.queue_state() == (2, 3)
        assert not any(f.done() for f in futures)
    results = [f.result(timeout=60) for f in futures]
    assert [blocks(r) for r in results] == [blocks(c.compress(pages_of(2, seed=i)))
                                             for i in range(5)]
    assert c.accelerator.queue_state() == (0, 0)


def test_drained_descriptors_of_a_size_share_one_backend_call(monkeypatch):
    device = Accelerator("lz4", device="cpu", verify_compress=False)
    calls = []
    original = device._backend.compress
    monkeypatch.setattr(device._backend, "compress",
                        lambda pages, *a: calls.append(len(pages)) or original(pages, *a))
    done = []
    descriptors = [Descriptor(COMPRESS, pages=pages_of(1, seed=i), capacity=2 * PAGE,
                              on_done=done.append) for i in range(6)]
    with device.paused():
        for d in descriptors:
            device.submit(d)
    assert device.wait(descriptors, timeout=60)
    assert calls == [6], "six queued single pages must run as one backend call"
    assert done == descriptors, "each completes once, in queue order"


def test_an_engine_failure_completes_everything_with_an_error(monkeypatch):
    device = Accelerator("lz4", device="cpu")

    def broken(*args):
        raise MemoryError("out of memory on the device")

    monkeypatch.setattr(device._backend, "compress", broken)
    d = Descriptor(COMPRESS, pages=pages_of(2), capacity=2 * PAGE)
    device.submit(d)
    assert device.wait([d], timeout=60)
    assert list(d.status) == [-errno.EIO] * 2 and isinstance(d.error, MemoryError)


def test_compressor_raises_what_stopped_the_device(monkeypatch):
    c = gpuacomp.Compressor(device="cpu")
    monkeypatch.setattr(c.accelerator._backend, "compress",
                        lambda *a: (_ for _ in ()).throw(MemoryError("no room")))
    with pytest.raises(MemoryError, match="no room"):
        c.compress(pages_of(1))
    future = c.submit(pages_of(1))
    with pytest.raises(MemoryError):
        future.result(timeout=60)


def test_engine_thread_serves_submits_nobody_waits_for():
    c = gpuacomp.Compressor(device="cpu")
    event = threading.Event()
    future = c.submit(pages_of(3))
    future.add_done_callback(lambda f: event.set())
    assert event.wait(60), "a submitted batch must complete without a waiter"
    assert future.result().ok


# --- verify and faults ---------------------------------------------------------------

def test_verify_flags_the_corrupted_page_only():
    c = gpuacomp.Compressor(device="cpu", verify=True)
    c.accelerator.faults.inject("corrupt", count=1)
    pages = pages_of(4)
    batch = c.compress(pages)
    assert list(batch.status) == [-errno.EINVAL, 0, 0, 0]
    plain = gpuacomp.Compressor(device="cpu").compress(pages)
    assert [batch.page(i) for i in (1, 2, 3)] == [plain.page(i) for i in (1, 2, 3)]


def test_lost_device_falls_back_with_the_same_bytes():
    c = gpuacomp.Compressor(device="cpu")
    c.accelerator.faults.inject("disappear")
    pages = pages_of(3)
    batch = c.compress(pages)
    assert batch.ok and c.accelerator.broken
    assert blocks(batch) == blocks(gpuacomp.Compressor(device="cpu").compress(pages))


def test_decompress_retry_in_software_fixes_an_injected_failure():
    c = gpuacomp.Compressor(device="cpu")
    pages = pages_of(3)
    batch = c.compress(pages)
    c.accelerator.faults.inject("fail", count=2, op="decompress")
    np.testing.assert_array_equal(c.decompress(batch), pages)
    assert c.accelerator.stats.snapshot()["global"]["total_sw_decomp_calls"] == 2


# --- device-resident results -----------------------------------------------------------

class DeviceResults:
    """Per-page results as the engine sees a CuPy array (numpy inside); counts its copies
    to the host."""

    __cuda_array_interface__ = {}  # only its presence matters to is_device_array

    def __init__(self, values, log):
        self._values, self._log = np.asarray(values), log

    def __len__(self):
        return len(self._values)

    def __lt__(self, other):
        return DeviceResults(self._values < other, self._log)

    def any(self):
        return self._values.any()

    def sum(self):
        return self._values.sum()

    def get(self):
        self._log.append(len(self._values))
        return self._values.copy()


def test_device_results_cross_the_bus_as_scalars():
    """Statistics of a device batch that all went well copy no per-page array back; a
    failed page brings the results over once, to count the errors."""
    from gpuacomp.engine import execute

    copies = []
    ok = DeviceResults([PAGE, 1200, 0], copies)
    assert execute._total(ok) == PAGE + 1200
    assert execute._error_counts(ok) == {}
    assert copies == []
    failed = DeviceResults([PAGE, -errno.EINVAL, -errno.EOVERFLOW, -errno.EINVAL], copies)
    assert execute._error_counts(failed) == {-errno.EINVAL: 2, -errno.EOVERFLOW: 1}
    assert copies == [4]
