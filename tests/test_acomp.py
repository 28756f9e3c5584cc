"""The kernel-shaped facade (gpuacomp.acomp): every return-code path, callbacks exactly
once, queue full with and without backlog, batches, chains, verify, faults, stats,
misuse, and many threads at once.  The same tests run on the CPU path and, in the
simulator tier (``-m sim``), on the GPU path."""

import errno
import threading

import lz4.block
import numpy as np
import pytest

import gpuacomp
from gpuacomp import acomp
from gpuacomp.acomp import tfm as tfm_registry
from gpuacomp.device import gpu_unavailable_reason

PAGE = 4096
BACKLOG = acomp.CRYPTO_TFM_REQ_MAY_BACKLOG

gpu_path = pytest.mark.skipif(gpu_unavailable_reason() is not None,
                              reason="no GPU path; run with NUMBA_ENABLE_CUDASIM=1")
DEVICES = ["cpu", pytest.param("gpu", marks=[pytest.mark.sim, gpu_path])]


def text_page(seed=0):
    words = [b"alpha", b"beta", b"gamma", b"delta", b"page", b"swap", b"zswap"]
    rng = np.random.default_rng(seed)
    raw = b" ".join(words[i] for i in rng.integers(0, len(words), PAGE))[:PAGE]
    return np.frombuffer(raw, np.uint8).copy()


def random_page(seed=0):
    return np.random.default_rng(seed).integers(0, 256, PAGE, dtype=np.uint8)


class Facade:
    """Allocates transforms and requests for a test, and frees them afterwards."""

    def __init__(self, device):
        self.device = device
        self.tfms = []

    def configure(self, **settings):
        acomp.configure(device=self.device, **settings)

    def tfm(self, name="lz4", type=0, mask=0):
        tfm = acomp.crypto_alloc_acomp(name, type, mask)
        self.tfms.append(tfm)
        return tfm

    def request(self, tfm, src, dst_size=2 * PAGE, slen=None, flags=BACKLOG, callback=None,
                data=None):
        req = acomp.acomp_request_alloc(tfm)
        dst = np.zeros(dst_size, np.uint8)
        acomp.acomp_request_set_params(req, src, dst, len(src) if slen is None else slen,
                                       dst_size)
        acomp.acomp_request_set_callback(req, flags, callback, data)
        return req

    def close(self):
        for tfm in self.tfms:
            if not tfm.freed:
                acomp.crypto_free_acomp(tfm)


@pytest.fixture(params=DEVICES)
def facade(request):
    tfm_registry.reset_configuration()
    f = Facade(request.param)
    f.configure()
    yield f
    f.close()
    tfm_registry.reset_configuration()


@pytest.fixture
def cpu_facade():
    tfm_registry.reset_configuration()
    f = Facade("cpu")
    f.configure()
    yield f
    f.close()
    tfm_registry.reset_configuration()


class Recorder:
    """A callback that records every call: (data, err)."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        self.final = threading.Event()

    def __call__(self, data, err):
        with self.lock:
            self.calls.append((data, err))
        if err != -errno.EINPROGRESS:
            self.final.set()


def compressed(req):
    return req.dst[:req.dlen].tobytes()


def reference_bytes(pages):
    c = gpuacomp.Compressor(device="cpu")
    batch = c.compress(np.stack(pages))
    return [batch.page(i) for i in range(len(pages))]


# --- allocation ----------------------------------------------------------------------

def test_alloc_by_name_gets_the_accelerator(cpu_facade):
    tfm = cpu_facade.tfm("lz4")
    assert acomp.crypto_acomp_driver_name(tfm) == "lz4-gpuacomp"
    assert acomp.acomp_is_async(tfm) and acomp.acomp_has_async_batching(tfm)
    assert acomp.crypto_acomp_batch_size(tfm) == 8


def test_alloc_software_driver_by_name_or_sync_mask(cpu_facade):
    for tfm in (cpu_facade.tfm("lz4-generic"),
                cpu_facade.tfm("lz4", 0, acomp.CRYPTO_ALG_ASYNC)):
        assert acomp.crypto_acomp_driver_name(tfm) == "lz4-generic"
        assert not acomp.acomp_is_async(tfm) and not acomp.acomp_has_async_batching(tfm)
        assert acomp.crypto_acomp_batch_size(tfm) == 1


def test_alloc_unknown_name_raises_enoent(cpu_facade):
    with pytest.raises(OSError) as info:
        acomp.crypto_alloc_acomp("zstd-fancy", 0, 0)
    assert info.value.errno == errno.ENOENT and "zstd-fancy" in str(info.value)


def test_rebuilding_the_device_needs_its_transforms_freed(cpu_facade):
    tfm = cpu_facade.tfm()
    with pytest.raises(RuntimeError, match="free them first"):
        acomp.configure(queue_depth=4)
    acomp.configure(sync_mode="async_irq")  # a live attribute: fine
    assert acomp.accelerator().sync_mode == "async_irq"
    acomp.crypto_free_acomp(tfm)
    acomp.configure(queue_depth=4)
    assert acomp.accelerator().queue_depth == 4
    with pytest.raises(ValueError, match="sync_mode"):
        acomp.configure(sync_mode="interrupts")
    with pytest.raises(TypeError, match="unknown setting"):
        acomp.configure(depth=4)


def test_configure_sets_the_parse(cpu_facade):
    """``lazy`` and ``candidates`` rebuild the device, whose pages then take that parse:
    the bytes of ``Compressor`` with the same settings."""
    page = text_page()
    for settings in (dict(lazy=True), dict(candidates=2, lazy=True), dict()):
        tfm_registry.reset_configuration()
        cpu_facade.configure(**settings)
        tfm = cpu_facade.tfm()
        req = cpu_facade.request(tfm, page)
        assert acomp.crypto_acomp_compress(req) == 0
        expected = gpuacomp.Compressor(device="cpu", **settings).compress(page).page(0)
        assert req.dst[:req.dlen].tobytes() == expected, settings
        acomp.crypto_free_acomp(tfm)


# --- the return codes, one path each -------------------------------------------------

def test_sync_mode_returns_zero_and_the_size(facade):
    tfm = facade.tfm()
    page = text_page()
    req = facade.request(tfm, page)
    assert acomp.crypto_acomp_compress(req) == 0
    assert compressed(req) == reference_bytes([page])[0]
    assert lz4.block.decompress(compressed(req), uncompressed_size=PAGE) == page.tobytes()
    record = req.record
    assert record.status == 0 and record.output_size == req.dlen and record.error_code == 0
    import zlib
    assert record.crc == zlib.crc32(page)


def test_async_irq_calls_back_once_with_the_result(facade):
    facade.configure(sync_mode="async_irq")
    tfm = facade.tfm()
    wait = acomp.crypto_init_wait()
    seen = Recorder()

    def callback(data, err):
        seen(data, err)
        acomp.crypto_req_done(data, err)

    req = facade.request(tfm, text_page(), callback=callback, data=wait)
    err = acomp.crypto_acomp_compress(req)
    assert err == -errno.EINPROGRESS
    assert acomp.crypto_wait_req(err, wait) == 0
    assert seen.calls == [(wait, 0)]
    assert compressed(req) == reference_bytes([text_page()])[0]


def test_async_mode_completes_by_polling(cpu_facade):
    acomp.configure(sync_mode="async")
    tfm = cpu_facade.tfm()
    seen = Recorder()
    req = cpu_facade.request(tfm, text_page(), callback=seen, data="mine")
    with acomp.accelerator().paused():
        assert acomp.crypto_acomp_compress(req) == -errno.EINPROGRESS
        assert acomp.crypto_acomp_poll(req) == -errno.EAGAIN
        with pytest.raises(RuntimeError, match="in flight"):
            acomp.crypto_acomp_compress(req)
    while (status := acomp.crypto_acomp_poll(req)) == -errno.EAGAIN:
        seen.final.wait(0.001)
    assert status == 0
    assert seen.calls == [("mine", 0)], "the poll that saw the completion runs the callback"
    assert acomp.crypto_acomp_poll(req) == 0 and len(seen.calls) == 1


def test_crypto_wait_req_works_in_async_mode(cpu_facade):
    acomp.configure(sync_mode="async")
    tfm = cpu_facade.tfm()
    wait = acomp.crypto_init_wait()
    req = cpu_facade.request(tfm, text_page(), callback=acomp.crypto_req_done, data=wait)
    assert acomp.crypto_wait_req(acomp.crypto_acomp_compress(req), wait) == 0
    assert compressed(req) == reference_bytes([text_page()])[0]


def test_polling_in_async_mode_leaves_no_work_for_the_wait(cpu_facade):
    acomp.configure(sync_mode="async")
    tfm = cpu_facade.tfm()
    wait = acomp.crypto_init_wait()
    req = cpu_facade.request(tfm, text_page(), callback=acomp.crypto_req_done, data=wait)
    for _ in range(3):
        assert acomp.crypto_acomp_compress(req) == -errno.EINPROGRESS
        while acomp.crypto_acomp_poll(req) == -errno.EAGAIN:
            threading.Event().wait(0.001)
    assert wait._polled == [], "a request seen by a poll must not stay queued on its wait"
    assert acomp.crypto_wait_req(-errno.EINPROGRESS, wait) == 0


@pytest.mark.parametrize("mode", ["async", "async_irq"])
def test_full_queue_enospc_without_backlog_ebusy_with(cpu_facade, mode):
    acomp.configure(queue_depth=2, sync_mode=mode)
    tfm = cpu_facade.tfm()
    device = acomp.accelerator()
    recorders = [Recorder() for _ in range(4)]
    reqs = [cpu_facade.request(tfm, text_page(i), flags=0, callback=recorders[i], data=i)
            for i in range(3)]
    backlogged = cpu_facade.request(tfm, text_page(3), flags=BACKLOG, callback=recorders[3],
                                    data=3)
    with device.paused():
        assert acomp.crypto_acomp_compress(reqs[0]) == -errno.EINPROGRESS
        assert acomp.crypto_acomp_compress(reqs[1]) == -errno.EINPROGRESS
        assert acomp.crypto_acomp_compress(reqs[2]) == -errno.ENOSPC
        assert acomp.acomp_request_err(reqs[2]) == -errno.ENOSPC
        assert acomp.crypto_acomp_compress(backlogged) == -errno.EBUSY
        assert device.queue_state() == (2, 1)
        assert all(not r.calls for r in recorders)
    for i in (0, 1, 3):
        req = reqs[i] if i < 3 else backlogged
        while acomp.crypto_acomp_poll(req) == -errno.EAGAIN:
            recorders[i].final.wait(0.01)
        recorders[i].final.wait(10)
    assert recorders[3].calls == [(3, -errno.EINPROGRESS), (3, 0)], \
        "a backlogged request hears -EINPROGRESS when it enters the queue, then its result"
    assert recorders[0].calls == [(0, 0)] and recorders[1].calls == [(1, 0)]
    assert recorders[2].calls == [], "a refused request never calls back"
    # The refused request is its owner's again: it can be submitted now.
    assert acomp.crypto_acomp_compress(reqs[2]) == -errno.EINPROGRESS
    while acomp.crypto_acomp_poll(reqs[2]) == -errno.EAGAIN:
        recorders[2].final.wait(0.01)
    assert device.queue_state() == (0, 0)


def test_sync_mode_with_a_full_queue(cpu_facade):
    acomp.configure(queue_depth=1)
    tfm = cpu_facade.tfm()
    device = acomp.accelerator()
    blocker = cpu_facade.request(tfm, text_page(0), flags=0)
    refused = cpu_facade.request(tfm, text_page(1), flags=0)
    results = {}
    with device.paused():
        acomp.configure(sync_mode="async")
        assert acomp.crypto_acomp_compress(blocker) == -errno.EINPROGRESS
        acomp.configure(sync_mode="sync")
        assert acomp.crypto_acomp_compress(refused) == -errno.ENOSPC
        waiting = cpu_facade.request(tfm, text_page(2), flags=BACKLOG)
        worker = threading.Thread(
            target=lambda: results.setdefault("err", acomp.crypto_acomp_compress(waiting)))
        worker.start()
        worker.join(0.2)
        assert worker.is_alive(), "a sync call with MAY_BACKLOG waits for room"
    worker.join(30)
    assert results["err"] == 0
    assert compressed(waiting) == reference_bytes([text_page(2)])[0]
    assert acomp.crypto_acomp_poll(blocker) == 0, "polled: the async request is done"


def test_request_without_params_is_einval(cpu_facade):
    tfm = cpu_facade.tfm()
    req = acomp.acomp_request_alloc(tfm)
    assert acomp.crypto_acomp_compress(req) == -errno.EINVAL
    assert acomp.acomp_request_err(req) == -errno.EINVAL


def test_oversized_source_is_einval(cpu_facade):
    tfm = cpu_facade.tfm()
    big = np.zeros(65537, np.uint8)
    req = cpu_facade.request(tfm, big)
    assert acomp.crypto_acomp_compress(req) == -errno.EINVAL


@pytest.mark.parametrize("src, dst, slen, dlen, error, match", [
    (np.zeros(PAGE, np.uint8), np.zeros(PAGE, np.uint8), PAGE + 1, PAGE, ValueError, "slen"),
    (np.zeros(PAGE, np.uint8), np.zeros(PAGE, np.uint8), PAGE, PAGE + 1, ValueError, "dlen"),
    (np.zeros(PAGE, np.uint8), np.zeros(PAGE, np.uint8), -1, PAGE, ValueError, "slen"),
    (np.zeros(PAGE, np.int16), np.zeros(PAGE, np.uint8), PAGE, PAGE, TypeError, "src"),
    (np.zeros((2, PAGE), np.uint8), np.zeros(PAGE, np.uint8), PAGE, PAGE, TypeError, "src"),
    (b"x" * PAGE, np.zeros(PAGE, np.uint8), PAGE, PAGE, TypeError, "src"),
    (np.zeros(PAGE, np.uint8), np.zeros(2 * PAGE, np.uint8)[::2], PAGE, PAGE, ValueError,
     "dst"),
    (np.zeros(PAGE, np.uint8), np.zeros(PAGE, np.uint8), 1.5, PAGE, TypeError, "slen"),
])
def test_set_params_rejects_bad_buffers(cpu_facade, src, dst, slen, dlen, error, match):
    req = acomp.acomp_request_alloc(cpu_facade.tfm())
    with pytest.raises(error, match=match):
        acomp.acomp_request_set_params(req, src, dst, slen, dlen)


def test_set_callback_rejects_unknown_flags(cpu_facade):
    req = acomp.acomp_request_alloc(cpu_facade.tfm())
    with pytest.raises(ValueError, match="flags"):
        acomp.acomp_request_set_callback(req, 0x1, None, None)
    with pytest.raises(TypeError, match="callable"):
        acomp.acomp_request_set_callback(req, 0, "not a function", None)


def test_compress_overflow_is_e2big(facade):
    tfm = facade.tfm()
    req = facade.request(tfm, random_page(), dst_size=PAGE)  # random data grows
    assert acomp.crypto_acomp_compress(req) == -errno.E2BIG
    assert req.record.error_code == 0x19  # IAA's compress buffer overflow
    stats = acomp.accelerator().stats.snapshot()["global"]
    assert stats["total_completion_comp_buf_overflow_errors"] == 1


def test_software_driver_overflow_is_einval(cpu_facade):
    tfm = cpu_facade.tfm("lz4-generic")
    req = cpu_facade.request(tfm, random_page(), dst_size=PAGE)
    assert acomp.crypto_acomp_compress(req) == -errno.EINVAL  # as crypto/lz4.c
    ok = cpu_facade.request(tfm, text_page())
    assert acomp.crypto_acomp_compress(ok) == 0
    assert lz4.block.decompress(compressed(ok), uncompressed_size=PAGE) == text_page().tobytes()


def decompress_request(facade, tfm, block, capacity=PAGE):
    src = np.frombuffer(block, np.uint8).copy()
    return facade.request(tfm, src, dst_size=capacity)


def test_decompress_round_trip_and_liblz4_blocks(facade):
    tfm = facade.tfm()
    page = text_page(5)
    for block in (reference_bytes([page])[0], lz4.block.compress(page, store_size=False)):
        req = decompress_request(facade, tfm, block)
        assert acomp.crypto_acomp_decompress(req) == 0
        assert req.dlen == PAGE and req.dst[:PAGE].tobytes() == page.tobytes()


def test_decompress_overflow_is_eoverflow(facade):
    tfm = facade.tfm()
    req = decompress_request(facade, tfm, reference_bytes([text_page()])[0], capacity=PAGE - 1)
    assert acomp.crypto_acomp_decompress(req) == -errno.EOVERFLOW
    stats = acomp.accelerator().stats.snapshot()["global"]
    assert stats["total_completion_decomp_buf_overflow_errors"] == 1
    assert stats["total_sw_decomp_calls"] == 1, "a device decompress error is retried"


def test_malformed_block_fails_after_the_software_retry(facade):
    tfm = facade.tfm()
    req = decompress_request(facade, tfm, b"\xf0\xff\xff\xff")
    assert acomp.crypto_acomp_decompress(req) == -errno.EINVAL
    assert acomp.accelerator().stats.snapshot()["global"]["total_sw_decomp_calls"] == 1


# --- batches -------------------------------------------------------------------------

def batch_args(tfm, pages, capacity=2 * PAGE):
    n = len(pages)
    reqs = [acomp.acomp_request_alloc(tfm) for _ in range(n)]
    dsts = [np.zeros(capacity, np.uint8) for _ in range(n)]
    return reqs, dsts, [capacity] * n, [None] * n


@pytest.mark.parametrize("parallel", [True, False])
def test_batch_compress_per_page_results(facade, parallel):
    if facade.device == "gpu" and not parallel:
        pytest.skip("page by page is the same engine path; the simulator is slow")
    n, bad = (8, 5) if facade.device == "cpu" else (3, 1)  # the simulator is slow
    tfm = facade.tfm()
    pages = [text_page(i) for i in range(n)]
    pages[bad] = random_page(bad)
    reqs, dsts, dlens, errors = batch_args(tfm, pages)
    dlens[bad] = PAGE  # random data does not fit in one page: this page alone fails
    waits = [acomp.crypto_init_wait()]
    ok = acomp.crypto_acomp_batch_compress(reqs, waits, pages, dsts, dlens, errors, n, parallel)
    assert ok is False
    assert errors == [0] * bad + [-errno.E2BIG] + [0] * (n - bad - 1)
    expected = reference_bytes(pages)
    for i in range(n):
        if i != bad:
            assert dsts[i][:dlens[i]].tobytes() == expected[i]
    assert dlens[bad] == 0
    # And back, as a batch.
    keep = [i for i in range(n) if i != bad]
    out = [np.zeros(PAGE, np.uint8) for _ in keep]
    back_errors, back_dlens = [None] * len(keep), [None] * len(keep)
    srcs = [dsts[i] for i in keep]
    assert acomp.crypto_acomp_batch_decompress(
        reqs[:len(keep)], waits, srcs, out, [dlens[i] for i in keep], back_dlens, back_errors,
        len(keep), parallel)
    assert back_errors == [0] * len(keep) and back_dlens == [PAGE] * len(keep)
    for k, i in enumerate(keep):
        assert out[k].tobytes() == pages[i].tobytes()


def test_batch_rules(cpu_facade):
    tfm = cpu_facade.tfm()
    pages = [text_page(i) for i in range(9)]
    reqs, dsts, dlens, errors = batch_args(tfm, pages)
    with pytest.raises(ValueError, match="nr_pages must be in 1..8"):
        acomp.crypto_acomp_batch_compress(reqs, None, pages, dsts, dlens, errors, 9, True)
    with pytest.raises(ValueError, match="dsts has 2 entries"):
        acomp.crypto_acomp_batch_compress(reqs, None, pages, dsts[:2], dlens, errors, 4, True)
    software = cpu_facade.tfm("lz4-generic")
    reqs = [acomp.acomp_request_alloc(software)]
    with pytest.raises(ValueError, match="nr_pages must be in 1..1"):
        acomp.crypto_acomp_batch_compress(reqs, None, pages, dsts, dlens, errors, 2, False)
    assert acomp.crypto_acomp_batch_compress(reqs, None, pages, dsts, dlens, errors, 1, False)
    assert errors[0] == 0
    assert lz4.block.decompress(dsts[0][:dlens[0]].tobytes(), uncompressed_size=PAGE) \
        == pages[0].tobytes()


def test_batch_is_one_backend_call(cpu_facade, monkeypatch):
    tfm = cpu_facade.tfm()
    device = acomp.accelerator()
    calls = []
    backend = device._backend
    original = backend.compress
    monkeypatch.setattr(backend, "compress",
                        lambda pages, *a: calls.append(len(pages)) or original(pages, *a))
    acomp.configure(verify_compress=False)
    pages = [text_page(i) for i in range(8)]
    reqs, dsts, dlens, errors = batch_args(tfm, pages)
    assert acomp.crypto_acomp_batch_compress(reqs, None, pages, dsts, dlens, errors, 8, True)
    assert calls == [8]


# --- chains --------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["sync", "async_irq"])
def test_chain_longer_than_a_batch(cpu_facade, mode):
    acomp.configure(sync_mode=mode)
    tfm = cpu_facade.tfm()
    pages = [text_page(i) for i in range(21)]
    pages[13] = random_page(13)
    wait = acomp.crypto_init_wait()
    seen = Recorder()

    def callback(data, err):
        seen(data, err)
        acomp.crypto_req_done(data, err)

    reqs = [cpu_facade.request(tfm, p, callback=callback, data=wait) for p in pages]
    reqs[13].dlen = PAGE  # too small for random data: fails alone
    for req in reqs[1:]:
        acomp.acomp_request_chain(req, reqs[0])
    with pytest.raises(RuntimeError, match="chained"):
        acomp.crypto_acomp_compress(reqs[1])
    err = acomp.crypto_wait_req(acomp.crypto_acomp_compress(reqs[0]), wait)
    assert err == -errno.E2BIG, "the chain's result is its first error"
    assert [acomp.acomp_request_err(r) for r in reqs] == [0] * 13 + [-errno.E2BIG] + [0] * 7
    expected = reference_bytes(pages)
    assert all(compressed(reqs[i]) == expected[i] for i in range(21) if i != 13)
    if mode == "async_irq":
        assert seen.calls == [(wait, -errno.E2BIG)], "one callback for the whole chain"


def test_chain_rules(cpu_facade):
    tfm, other = cpu_facade.tfm(), cpu_facade.tfm()
    a, b, c = (acomp.acomp_request_alloc(tfm) for _ in range(3))
    acomp.acomp_request_chain(b, a)
    with pytest.raises(ValueError, match="already in a chain"):
        acomp.acomp_request_chain(b, c)
    with pytest.raises(ValueError, match="different transforms"):
        acomp.acomp_request_chain(acomp.acomp_request_alloc(other), a)


# --- verify and faults ---------------------------------------------------------------

def test_verify_catches_a_corrupted_output(facade):
    tfm = facade.tfm()
    device = acomp.accelerator()
    device.faults.inject("corrupt", op="compress")
    req = facade.request(tfm, text_page())
    assert acomp.crypto_acomp_compress(req) == -errno.EINVAL
    assert req.record.error_code == 0x0A
    assert device.stats.snapshot()["global"]["total_completion_einval_errors"] == 1
    # The next page is fine: the fault hit once.
    assert acomp.crypto_acomp_compress(req) == 0


def test_without_verify_corruption_goes_through(cpu_facade):
    acomp.configure(verify_compress=False)
    tfm = cpu_facade.tfm()
    acomp.accelerator().faults.inject("corrupt")
    req = cpu_facade.request(tfm, text_page())
    assert acomp.crypto_acomp_compress(req) == 0
    assert compressed(req) != reference_bytes([text_page()])[0]


def test_failed_device_decompress_is_retried_in_software(facade):
    tfm = facade.tfm()
    device = acomp.accelerator()
    device.faults.inject("fail", op="decompress")
    req = decompress_request(facade, tfm, reference_bytes([text_page()])[0])
    assert acomp.crypto_acomp_decompress(req) == 0
    assert req.dst[:PAGE].tobytes() == text_page().tobytes()
    stats = device.stats.snapshot()["global"]
    assert stats["total_sw_decomp_calls"] == 1 and stats["total_completion_einval_errors"] == 1


def test_failed_device_compress_is_an_error(cpu_facade):
    tfm = cpu_facade.tfm()
    acomp.accelerator().faults.inject("fail", op="compress")
    req = cpu_facade.request(tfm, text_page())
    assert acomp.crypto_acomp_compress(req) == -errno.EINVAL


def test_timeout_marks_the_device_broken_and_auto_moves_to_cpu(cpu_facade):
    tfm = cpu_facade.tfm()
    device = acomp.accelerator()
    device.faults.inject("timeout", op="compress")
    req = cpu_facade.request(tfm, text_page())
    assert acomp.crypto_acomp_compress(req) == -errno.ETIMEDOUT
    assert req.record.error_code == 0x24
    assert device.broken and device.backend == "cpu"
    assert device.stats.snapshot()["global"]["total_completion_timeout_errors"] == 1
    assert acomp.crypto_acomp_compress(req) == 0
    assert compressed(req) == reference_bytes([text_page()])[0]


def test_disappearing_device_reruns_the_batch(cpu_facade):
    tfm = cpu_facade.tfm()
    device = acomp.accelerator()
    device.faults.inject("disappear")
    pages = [text_page(i) for i in range(8)]
    reqs, dsts, dlens, errors = batch_args(tfm, pages)
    assert acomp.crypto_acomp_batch_compress(reqs, None, pages, dsts, dlens, errors, 8, True)
    assert device.broken and "disappeared" in device.broken
    expected = reference_bytes(pages)
    assert all(dsts[i][:dlens[i]].tobytes() == expected[i] for i in range(8))


@pytest.mark.sim
@gpu_path
def test_explicit_gpu_device_fails_with_enodev_once_lost():
    tfm_registry.reset_configuration()
    acomp.configure(device="gpu")
    tfm = acomp.crypto_alloc_acomp("lz4", 0, 0)
    try:
        device = acomp.accelerator()
        device.faults.inject("disappear")
        req = acomp.acomp_request_alloc(tfm)
        dst = np.zeros(2 * PAGE, np.uint8)
        acomp.acomp_request_set_params(req, text_page(), dst, PAGE, len(dst))
        assert acomp.crypto_acomp_compress(req) == -errno.ENODEV
        assert acomp.crypto_acomp_compress(req) == -errno.ENODEV, "the device stays lost"
    finally:
        acomp.crypto_free_acomp(tfm)
        tfm_registry.reset_configuration()


def test_fault_injection_rules():
    from gpuacomp.engine import FaultInjector
    faults = FaultInjector()
    with pytest.raises(ValueError, match="fault kind"):
        faults.inject("explode")
    with pytest.raises(ValueError, match="compress"):
        faults.inject("corrupt", op="decompress")
    with pytest.raises(ValueError, match="count"):
        faults.inject("fail", count=0)
    faults.inject("fail", count=3, op="compress")
    assert faults.take("decompress", 5) == []
    assert faults.take("compress", 2) == [(0, "fail"), (1, "fail")]
    assert faults.take("compress", 2) == [(0, "fail")]
    assert faults.armed == 0


# --- statistics ----------------------------------------------------------------------

def test_statistics_count_and_reset(cpu_facade):
    tfm = cpu_facade.tfm()
    pages = [text_page(i) for i in range(8)]
    reqs, dsts, dlens, errors = batch_args(tfm, pages)
    assert acomp.crypto_acomp_batch_compress(reqs, None, pages, dsts, dlens, errors, 8, True)
    device = acomp.accelerator()
    stats = device.stats.snapshot()
    assert stats["global"]["total_comp_calls"] == 8
    assert stats["global"]["total_comp_bytes_out"] == sum(dlens)
    assert stats["queues"][0]["comp_calls"] == 8 and stats["queues"][0]["comp_bytes"] == sum(dlens)
    # decompress counts the bytes it reads
    outs = [np.zeros(PAGE, np.uint8) for _ in pages]
    assert acomp.crypto_acomp_batch_decompress(reqs, None, dsts, outs, list(dlens), [0] * 8,
                                               [None] * 8, 8, True)
    stats = device.stats.snapshot()
    assert stats["global"]["total_decomp_calls"] == 8
    assert stats["global"]["total_decomp_bytes_in"] == sum(dlens)
    assert stats["queues"][0]["decomp_calls"] == 8
    assert stats["queues"][0]["decomp_bytes"] == sum(dlens)
    device.stats.reset()
    assert set(device.stats.snapshot()["global"].values()) == {0}


def test_transforms_spread_over_queues(cpu_facade):
    acomp.configure(queues=2)
    a, b = cpu_facade.tfm(), cpu_facade.tfm()
    assert {a.queue, b.queue} == {0, 1}
    for tfm in (a, b):
        assert acomp.crypto_acomp_compress(cpu_facade.request(tfm, text_page())) == 0
    queues = acomp.accelerator().stats.snapshot()["queues"]
    assert [q["comp_calls"] for q in queues] == [1, 1]


# --- ownership -----------------------------------------------------------------------

def test_requests_in_flight_are_not_the_callers(cpu_facade):
    acomp.configure(sync_mode="async")
    tfm = cpu_facade.tfm()
    req = cpu_facade.request(tfm, text_page())
    with acomp.accelerator().paused():
        assert acomp.crypto_acomp_compress(req) == -errno.EINPROGRESS
        for action in (lambda: acomp.crypto_acomp_compress(req),
                       lambda: acomp.acomp_request_free(req),
                       lambda: acomp.acomp_request_set_params(req, text_page(), req.dst,
                                                              PAGE, PAGE),
                       lambda: acomp.crypto_free_acomp(tfm)):
            with pytest.raises(RuntimeError, match="in flight"):
                action()
    while acomp.crypto_acomp_poll(req) == -errno.EAGAIN:
        threading.Event().wait(0.001)
    acomp.acomp_request_free(req)
    with pytest.raises(RuntimeError, match="freed"):
        acomp.crypto_acomp_compress(req)


# --- both APIs, many threads ---------------------------------------------------------

def test_facade_and_compressor_give_the_same_bytes(facade, corpus):
    pages = corpus.memory(corpus.memory_files()[0])[:8 if facade.device == "cpu" else 1]
    tfm = facade.tfm()
    expected = reference_bytes(list(pages))
    for i, page in enumerate(pages):
        req = facade.request(tfm, np.ascontiguousarray(page))
        assert acomp.crypto_acomp_compress(req) == 0
        assert compressed(req) == expected[i]


def test_many_threads_every_request_completes_once(cpu_facade):
    acomp.configure(sync_mode="async_irq", queue_depth=32)
    tfm = cpu_facade.tfm()
    pages = [text_page(i) for i in range(16)] + [random_page(i) for i in range(4)]
    expected = reference_bytes(pages)
    threads, per_thread = 16, 1000
    failures = []
    callbacks = [0] * (threads * per_thread)
    lock = threading.Lock()

    def worker(t):
        wait = acomp.crypto_init_wait()

        def done(index, err):
            with lock:
                callbacks[index] += 1
            acomp.crypto_req_done(wait, err)

        reqs = []
        for k in range(per_thread):
            index = t * per_thread + k
            page = pages[index % len(pages)]
            req = cpu_facade.request(tfm, page, callback=lambda data, err: done(data, err),
                                     data=index)
            reqs.append(req)
            err = acomp.crypto_wait_req(acomp.crypto_acomp_compress(req), wait)
            if err != 0 or compressed(req) != expected[index % len(pages)]:
                failures.append((index, err))
            if k % 10 == 0:  # and a batch now and then
                batch = pages[:8]
                b_reqs, dsts, dlens, errors = batch_args(tfm, batch)
                if not acomp.crypto_acomp_batch_compress(b_reqs, None, batch, dsts, dlens,
                                                         errors, 8, True) or any(
                        dsts[i][:dlens[i]].tobytes() != expected[i] for i in range(8)):
                    failures.append((index, "batch"))
            acomp.acomp_request_free(req)

    workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(300)
    assert not any(w.is_alive() for w in workers), "a thread hung"
    assert failures == []
    assert callbacks == [1] * (threads * per_thread), "a callback fired twice or never"
    stats = acomp.accelerator().stats.snapshot()["global"]
    assert stats["total_comp_calls"] == threads * per_thread + threads * (per_thread // 10) * 8


# --- property: the facade is the codec -----------------------------------------------

from hypothesis import given, strategies as st  # noqa: E402


@given(st.binary(min_size=0, max_size=PAGE) | st.builds(
    lambda b, n: (b * (PAGE // max(len(b), 1) + 1))[:n], st.binary(min_size=1, max_size=64),
    st.integers(1, PAGE)))
def test_facade_bytes_are_the_codecs_for_any_page(data):
    tfm_registry.reset_configuration()
    tfm = acomp.crypto_alloc_acomp("lz4", 0, 0)
    try:
        src = np.frombuffer(data, np.uint8).copy()
        req = acomp.acomp_request_alloc(tfm)
        dst = np.zeros(2 * PAGE, np.uint8)
        acomp.acomp_request_set_params(req, src, dst, len(src), len(dst))
        assert acomp.crypto_acomp_compress(req) == 0
        block = compressed(req)
        expected = gpuacomp.Compressor(device="cpu", page_size=len(src)).compress(src)
        assert block == expected.page(0)
        assert lz4.block.decompress(block, uncompressed_size=max(len(src), 1)) == data
        back = acomp.acomp_request_alloc(tfm)
        out = np.zeros(PAGE, np.uint8)
        acomp.acomp_request_set_params(back, np.frombuffer(block, np.uint8).copy(), out,
                                       len(block), len(src))
        assert acomp.crypto_acomp_decompress(back) == 0
        assert back.dlen == len(src) and out[:len(src)].tobytes() == data
    finally:
        acomp.crypto_free_acomp(tfm)
        tfm_registry.reset_configuration()
