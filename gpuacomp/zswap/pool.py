"""A model of mm/zswap.c's store and load paths, on the acomp facade only.

``ZswapPool.store`` takes a folio (1..512 pages) at a swap offset and compresses its
pages on the calling CPU's context: in batches of ``SWAP_CRYPTO_BATCH_SIZE`` (8)
through ``crypto_acomp_batch_compress`` when the transform batches, page by page
otherwise.  A page that fails to compress, or compresses to a page or more, is
rejected (``policy="reject"``, the Dec 2024 kernels: the whole folio fails and what it
stored is erased) or stored as it is (``"store_as_is"``, 2025 and later).  A folio of
zeros never reaches zswap (swap's zeromap keeps it).  Compressed objects are charged
as zsmalloc would (``zsmalloc.ZsPool``); past ``max_pool_percent`` of RAM the pool
rejects stores (``pool_limit_hit``) and, with writeback on, writes its least recently
stored entries back to a swap device until it is under ``accept_threshold_percent``.
``load`` is the exclusive load: the entry leaves the pool.
"""

import errno
import threading
import time
from collections import OrderedDict

import numpy as np

from gpuacomp.zswap.percpu import PAGE_SIZE, CpuContext
from gpuacomp.zswap.zsmalloc import ZsPool

POLICIES = ("reject", "store_as_is")
MAX_FOLIO_PAGES = 512  # a 2 MiB folio
COUNTERS = ("stored_pages", "stored_incompressible_pages", "pool_total_size",
            "reject_compress_poor", "reject_compress_fail", "reject_alloc_fail",
            "decompress_fail", "pool_limit_hit", "written_back_pages", "zero_filled_pages")
DEFAULT_TOTAL_RAM_PAGES = 1 << 20  # 4 GiB


class _Entry:
    __slots__ = ("data", "handle", "incompressible")

    def __init__(self, data, handle, incompressible):
        self.data = data
        self.handle = handle
        self.incompressible = incompressible


class ZswapPool:
    """A zswap pool with one compressor and ``nr_cpus`` per-CPU contexts.

    Parameters
    ----------
    compressor : str
        Any registered algorithm or driver name (``gpuacomp.available_algorithms()``).
    nr_cpus : int
        Simulated CPUs, each with its own context; ``cpu=`` picks one per call, and
        calls on different CPUs run concurrently (threads).
    policy : {"reject", "store_as_is"}
        What becomes of a page that does not compress below a page.
    max_pool_percent, accept_threshold_percent : int
        zswap's limits, as percentages of ``total_ram_pages`` and of the limit.
    total_ram_pages : int
        The RAM the limit is a percentage of (default 2^20 pages, 4 GiB).
    writeback : bool
        Write entries back to ``swap_device`` when the pool is full (default True).
    batching : bool
        Compress in batches when the transform can (default True); False stores page
        by page through the same driver (the series' "sequential" experiment).
    """

    def __init__(self, compressor="lz4", nr_cpus=1, policy="reject", max_pool_percent=20,
                 accept_threshold_percent=90, total_ram_pages=DEFAULT_TOTAL_RAM_PAGES,
                 writeback=True, batching=True):
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
        for name, value, low, high in (("nr_cpus", nr_cpus, 1, 1024),
                                       ("max_pool_percent", max_pool_percent, 0, 100),
                                       ("accept_threshold_percent", accept_threshold_percent,
                                        0, 100),
                                       ("total_ram_pages", total_ram_pages, 1, 1 << 40)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be an int in {low}..{high}, got {value!r}")
        self.policy = policy
        self.max_pool_percent = max_pool_percent
        self.accept_threshold_percent = accept_threshold_percent
        self.total_ram_pages = total_ram_pages
        self.writeback = writeback
        self.swap_device = {}  # offset -> page written back (bytes)
        self._lock = threading.Lock()  # the tree, the LRU, zsmalloc and the counters
        self._entries = OrderedDict()  # offset -> _Entry, least recently stored first
        self._zeromap = set()
        self._zs = ZsPool()
        self._counts = dict.fromkeys(COUNTERS, 0)
        self._reached_full = False
        self.cpus = []
        try:
            for cpu in range(nr_cpus):
                self.cpus.append(CpuContext(cpu, compressor, batching))
        except BaseException:
            self.close()
            raise
        self.driver = self.cpus[0].tfm.algorithm.driver

    def __repr__(self):
        return (f"ZswapPool({self.driver!r}, nr_cpus={len(self.cpus)}, policy={self.policy!r}, "
                f"batches of {self.cpus[0].nr_reqs})")

    @property
    def stats(self):
        """The counters, named as zswap's debugfs files (a copy)."""
        with self._lock:
            counts = dict(self._counts)
            counts["stored_pages"] = len(self._entries)
            counts["pool_total_size"] = self._zs.total_size
        return counts

    # -- store -----------------------------------------------------------------------------

    def store(self, folio, offset, cpu=0):
        """Store ``folio`` ((k, 4096) uint8, k in 1..512) at swap offsets
        ``offset .. offset + k - 1``: 0, or a negative errno as zswap_store fails
        (-EINVAL compression failed, -ENOSPC compressed to a page or more under
        ``reject``, -ENOMEM pool full or allocation failed).  A failed store leaves
        none of the folio in zswap (older entries at those offsets are invalidated, as
        the folio goes to the swap device)."""
        folio = _check_folio(folio)
        offset = _check_offset(offset)
        ctx = self._cpu(cpu)
        k = len(folio)
        offsets = range(offset, offset + k)
        if not folio.any():
            with self._lock:
                self._drop(offsets)
                self._zeromap.update(offsets)
                self._counts["zero_filled_pages"] += k
            return 0
        if not self._check_limits(ctx):
            self._invalidate(offsets)
            return -errno.ENOMEM
        with ctx.mutex:
            t0 = time.perf_counter()
            try:
                return self._store(ctx, folio, offsets)
            finally:
                ctx.store_seconds += time.perf_counter() - t0

    def _store(self, ctx, folio, offsets):
        outputs, errors = ctx.compress(folio)
        objects, failure = [], 0
        for page, data, err in zip(folio, outputs, errors):
            poor = err == 0 and len(data) >= PAGE_SIZE
            if err == 0 and not poor:
                objects.append((data, False))
            elif self.policy == "store_as_is":
                objects.append((page.copy(), True))
            else:
                failure = failure or (-errno.ENOSPC if poor else err)
                with self._lock:
                    self._counts["reject_compress_poor" if poor else "reject_compress_fail"] += 1
        with self._lock:
            if failure:
                self._drop(offsets)
                return failure
            handles = []
            for data, _ in objects:
                handle = self._zs.malloc(len(data))
                if handle is None:
                    for done in handles:
                        self._zs.free(done)
                    self._counts["reject_alloc_fail"] += 1
                    self._drop(offsets)
                    return -errno.ENOMEM
                handles.append(handle)
            self._drop(offsets)
            for at, (data, raw), handle in zip(offsets, objects, handles):
                self._entries[at] = _Entry(data, handle, raw)
                self._counts["stored_incompressible_pages"] += raw
        return 0

    def _check_limits(self, ctx):
        """zswap_check_limits: False while the pool is full; a full pool is shrunk by
        writeback (here at once, in the caller) to the accept threshold."""
        max_pages = self.total_ram_pages * self.max_pool_percent // 100
        accept_pages = max_pages * self.accept_threshold_percent // 100
        with self._lock:
            if self._zs.pages >= max_pages:
                self._counts["pool_limit_hit"] += 1
                self._reached_full = True
            elif self._reached_full and self._zs.pages <= accept_pages:
                self._reached_full = False
            full = self._reached_full
        if full and self.writeback:
            self._shrink(ctx, accept_pages)
        return not full

    def _shrink(self, ctx, target_pages):
        out = np.empty(PAGE_SIZE, np.uint8)
        while True:
            with self._lock:
                if self._zs.pages <= target_pages or not self._entries:
                    return
                offset, entry = self._entries.popitem(last=False)
            with ctx.mutex:
                err = self._read(ctx, entry, out)
            with self._lock:
                self._zs.free(entry.handle)
                if err:
                    self._counts["decompress_fail"] += 1
                else:
                    self.swap_device[offset] = out.tobytes()
                    self._counts["written_back_pages"] += 1

    # -- load ------------------------------------------------------------------------------

    def load(self, offset, out, cpu=0):
        """Load the page at ``offset`` into ``out`` (4096-byte uint8 array) and drop it
        from zswap: 0; -ENOENT if zswap does not hold it (never stored, invalidated or
        written back: see ``swap_device``); -EIO if it does not decompress (the entry
        stays, counted in ``decompress_fail``)."""
        offset = _check_offset(offset)
        if not isinstance(out, np.ndarray) or out.dtype != np.uint8 or out.shape != (PAGE_SIZE,):
            raise TypeError(f"out must be a ({PAGE_SIZE},) uint8 array")
        ctx = self._cpu(cpu)
        with self._lock:
            entry = self._entries.get(offset)
            if entry is None:
                if offset in self._zeromap:
                    self._zeromap.discard(offset)
                    out[:] = 0
                    return 0
                return -errno.ENOENT
        with ctx.mutex:
            err = self._read(ctx, entry, out)
        with self._lock:
            if err:
                self._counts["decompress_fail"] += 1
                return -errno.EIO
            if self._entries.get(offset) is entry:  # not invalidated meanwhile
                del self._entries[offset]
                self._zs.free(entry.handle)
        return 0

    def _read(self, ctx, entry, out):
        if entry.incompressible:
            out[:] = entry.data
            return 0
        return ctx.decompress(entry.data, out)

    def invalidate(self, offset):
        """Forget the page at ``offset`` (the swap slot was freed)."""
        self._invalidate([_check_offset(offset)])

    def fail_next_alloc(self, n=1):
        """Make the next ``n`` zsmalloc allocations fail (``reject_alloc_fail``), as
        they do when the kernel cannot get pages (for tests and failure studies)."""
        with self._lock:
            self._zs.fail_next(n)

    def corrupt(self, offset):
        """Overwrite the stored object at ``offset`` with 0xFF bytes, so that it no
        longer decodes (for tests and failure studies); False if there is none."""
        with self._lock:
            entry = self._entries.get(offset)
            if entry is None or entry.incompressible:
                return False
            entry.data = np.full_like(entry.data, 0xFF)
            return True

    def close(self):
        """Free the per-CPU contexts (their transforms and requests)."""
        for ctx in self.cpus:
            ctx.free()
        self.cpus = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- helpers ---------------------------------------------------------------------------

    def _cpu(self, cpu):
        if isinstance(cpu, bool) or not isinstance(cpu, int) or not 0 <= cpu < len(self.cpus):
            raise ValueError(f"cpu must be an int in 0..{len(self.cpus) - 1}, got {cpu!r}")
        return self.cpus[cpu]

    def _invalidate(self, offsets):
        with self._lock:
            self._drop(offsets)

    def _drop(self, offsets):
        """Remove entries at ``offsets`` (the caller holds the lock)."""
        for at in offsets:
            entry = self._entries.pop(at, None)
            if entry is not None:
                self._zs.free(entry.handle)
            self._zeromap.discard(at)
            self.swap_device.pop(at, None)


def _check_folio(folio):
    if not isinstance(folio, np.ndarray) or folio.dtype != np.uint8:
        raise TypeError("folio must be a (k, 4096) uint8 numpy array")
    if folio.ndim == 1 and folio.shape[0] == PAGE_SIZE:
        folio = folio.reshape(1, PAGE_SIZE)
    if folio.ndim != 2 or folio.shape[1] != PAGE_SIZE or not 1 <= folio.shape[0] <= MAX_FOLIO_PAGES:
        raise ValueError(f"folio must have shape (k, {PAGE_SIZE}) with k in "
                         f"1..{MAX_FOLIO_PAGES}, got {folio.shape}")
    return np.ascontiguousarray(folio)


def _check_offset(offset):
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
        raise ValueError(f"offset must be a non-negative int, got {offset!r}")
    return int(offset)
