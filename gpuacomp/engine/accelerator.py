"""The emulated accelerator: work queues, an engine thread, and what happens on failure.

Callers submit descriptors to a queue of bounded depth (IAA: 128 entries).  Whoever
holds the engine role plays the device: it drains every queued descriptor at once, runs
them as few backend calls as possible (one GPU launch per group, see
``execute.groups``), and completes each descriptor exactly once.  An engine thread per
accelerator takes the role for work nobody waits for; a caller that waits takes it
itself when the device is idle.  Completion hooks run on whichever thread holds the
role, like an interrupt handler: they must not wait for this accelerator.  The thread
exits after a few idle seconds and restarts on the next submit.

When the device fails (a CUDA error, an injected disappearance or timeout) it is marked
broken; with ``device="auto"`` (or ``"cpu"``) its work moves to the CPU path, which gives
the same bytes; with ``device="gpu"`` later work fails with -ENODEV.
"""

import contextlib
import errno
import logging
import threading
import time

import numpy as np

from gpuacomp import backends, device as device_switch
from gpuacomp.algorithms import lookup
from gpuacomp.engine.execute import GroupRunner, groups
from gpuacomp.engine.faults import DeviceLost, FaultInjector
from gpuacomp.engine.queues import BACKLOGGED, FULL, QUEUED, WorkQueue
from gpuacomp.engine.stats import Stats
from gpuacomp.inputs import check_count
from gpuacomp.kernels.lz4 import (DEFAULT_CANDIDATES, DEFAULT_LAZY, GPU_MAX_PAGE_SIZE,
                                  MAX_PAGE_SIZE)

SYNC_MODES = ("sync", "async", "async_irq")
DEFAULT_QUEUE_DEPTH = 128  # an IAA work queue's entries
MAX_QUEUE_DEPTH = 1 << 16
MAX_QUEUES = 64
MAX_CANDIDATES = 256
IDLE_EXIT_S = 2.0

log = logging.getLogger("gpuacomp")

__all__ = ["Accelerator", "SYNC_MODES", "DEFAULT_QUEUE_DEPTH", "QUEUED", "BACKLOGGED", "FULL"]


class Accelerator:
    """One emulated device running one driver (``algorithm``: a name or driver name).

    Parameters
    ----------
    device : {"auto", "gpu", "cpu"}, optional
        Where its work runs (``gpuacomp.device``); software drivers always run on the CPU.
    queue_depth, queues : int
        Entries per work queue (default 128) and the number of queues (default 1).
    verify_compress : bool
        Decode every compressed page on the device and compare (default on, as upstream).
    sync_mode : {"sync", "async", "async_irq"}
        How the acomp facade completes requests (iaa_crypto's ``sync_mode``).
    page_size, candidates, lazy, threads
        As for ``Compressor``: the page size that decides whether the GPU can run, the
        parse's candidates and lazy step, and CPU threads.
    """

    def __init__(self, algorithm="lz4", *, device=None, page_size=4096,
                 candidates=DEFAULT_CANDIDATES, lazy=DEFAULT_LAZY, threads=None,
                 queue_depth=DEFAULT_QUEUE_DEPTH, queues=1, verify_compress=True,
                 sync_mode="sync"):
        self.algorithm = lookup(algorithm)
        self.queue_depth = check_count("queue_depth", queue_depth, 1, MAX_QUEUE_DEPTH)
        self.verify_compress = bool(verify_compress)
        self.sync_mode = check_sync_mode(sync_mode)
        self.candidates = check_count("candidates", candidates, 1, MAX_CANDIDATES)
        if not isinstance(lazy, (bool, np.bool_)):
            raise TypeError(f"lazy must be a bool, got {lazy!r}")
        self.lazy = bool(lazy)
        self._threads = threads
        if self.algorithm.accelerated:
            choice = device_switch.resolve(device, page_size)
            self._policy = "gpu" if device_switch.requested(device) == "gpu" else "fallback"
            self._backend = backends.load(self.algorithm, choice.name, threads)
            self.backend_reason = choice.reason
        else:
            self._policy = "fallback"
            self._backend = backends.load_software(self.algorithm)
            self.backend_reason = f"{self.algorithm.driver} is a software driver"
        self._software = self._backend if self._backend.name == "cpu" else None
        self._broken = None  # why the device stopped, once it has
        self.faults = FaultInjector()
        self._queues = [WorkQueue(i, self.queue_depth)
                        for i in range(check_count("queues", queues, 1, MAX_QUEUES))]
        self.stats = Stats(len(self._queues))
        lock = threading.Lock()  # guards the queues
        self._cond = threading.Condition(lock)  # waiters: something completed
        self._work = threading.Condition(lock)  # the engine thread: work queued
        self._engine_role = threading.Lock()  # held by whoever plays the device
        self._thread = None
        self._next_queue = 0

    def __repr__(self):
        return (f"Accelerator({self.algorithm.driver!r}, backend={self.backend!r}, "
                f"queues={len(self._queues)}x{self.queue_depth}, "
                f"sync_mode={self.sync_mode!r}, verify_compress={self.verify_compress})")

    @property
    def backend(self):
        """Where new work runs now: ``"gpu"``, ``"gpu-sim"`` or ``"cpu"``."""
        if self._broken is not None and self._policy == "fallback":
            return "cpu"
        return self._backend.name

    @property
    def broken(self):
        """Why the device stopped (a string), or ``None`` while it works."""
        return self._broken

    @property
    def queues(self):
        return len(self._queues)

    def assign_queue(self):
        """A queue for a new user (round robin, as iaa_crypto spreads CPUs over queues)."""
        with self._cond:
            index = self._next_queue
            self._next_queue = (index + 1) % len(self._queues)
        return index

    # -- submission and completion ---------------------------------------------------------

    def submit(self, descriptor, queue=0, may_backlog=False, waiter=False):
        """Offer ``descriptor`` to ``queue``: ``QUEUED``, ``BACKLOGGED`` or ``FULL``."""
        return self.submit_all([descriptor], queue, may_backlog, waiter)

    def submit_all(self, descriptors, queue=0, may_backlog=False, waiter=False):
        """Offer descriptors as one unit, so that the engine sees them together.

        Returns the first one's outcome: ``QUEUED`` or ``BACKLOGGED`` (the others follow
        it, into the backlog where the queue has no room), or ``FULL``: the queue had no
        room, ``may_backlog`` was False, and none was taken.  ``waiter=True`` promises a
        ``wait`` for them right away: the engine thread is then left asleep, as the
        waiter will run the engine itself.
        """
        with self._cond:
            target = self._queues[queue]
            first = target.offer(descriptors[0], may_backlog)
            if first == FULL:
                return FULL
            for d in descriptors[1:]:
                target.offer(d, True)
            if target.pending and not waiter:
                self._wake_engine()
        return first

    def wait(self, descriptors, timeout=None):
        """Block until every descriptor is done; False if ``timeout`` (s) ran out first."""
        return self._wait_until(lambda: all(d.done for d in descriptors), timeout)

    def wait_any(self, descriptors, timeout=None):
        """Block until one of ``descriptors`` is done; False if ``timeout`` ran out first."""
        return self._wait_until(lambda: any(d.done for d in descriptors), timeout)

    @contextlib.contextmanager
    def paused(self):
        """Hold the device still: inside the block nothing queued runs, so queues fill
        (to study -ENOSPC / -EBUSY and the backlog); leaving it lets the work run."""
        self._engine_role.acquire()
        try:
            yield self
        finally:
            self._release_engine_role()

    def queue_state(self, queue=0):
        """``(held, backlogged)``: slots in use in ``queue`` and requests waiting for one."""
        with self._cond:
            q = self._queues[queue]
            return q.held, len(q.backlog)

    def close(self):
        """Wait until every queue is empty and idle (the accelerator stays usable)."""
        self._wait_until(lambda: all(q.idle for q in self._queues), None)

    def _wait_until(self, condition, timeout):
        # A waiter whose work is queued while the device is idle runs the engine itself,
        # as a CPU polling in IAA's sync mode would spin: it saves two thread handoffs.
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._cond:
                if condition():
                    return True
            if self._engine_role.acquire(blocking=False):
                try:
                    ran = self._drain()
                finally:
                    self._release_engine_role()
                if ran:
                    continue
            with self._cond:
                if condition():
                    return True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)

    # -- the engine ------------------------------------------------------------------------

    def _engine(self):
        while True:
            with self._cond:
                while not any(q.pending for q in self._queues):
                    if not self._work.wait(IDLE_EXIT_S) and \
                            not any(q.pending for q in self._queues):
                        self._thread = None
                        return
            self._engine_role.acquire()
            try:
                self._drain()
            finally:
                self._release_engine_role()

    def _release_engine_role(self):
        # Work queued while the role was held has no one to run it unless a waiter
        # retries: wake them (they were told of completions while the role was taken).
        self._engine_role.release()
        with self._cond:
            if any(q.pending for q in self._queues):
                self._cond.notify_all()
                self._wake_engine()

    def _wake_engine(self):
        """Start or wake the engine thread; the caller holds the lock."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._engine, daemon=True,
                                            name=f"gpuacomp-{self.algorithm.driver}")
            self._thread.start()
        self._work.notify()

    def _drain(self):
        """Run everything queued now; the caller holds the engine role.  False if idle."""
        with self._cond:
            work = []
            for q in self._queues:
                work.extend(q.take(q.depth))
        if not work:
            return False
        self._execute(work)
        self._complete(work)
        return True

    def _execute(self, work):
        runner = self._runner()
        for group in groups(work):
            try:
                if self._broken is not None and self._policy == "gpu":
                    raise DeviceLost(f"the device is broken: {self._broken}")
                runner.run(group)
            except DeviceLost as exc:
                self._mark_broken(str(exc))
                if self._policy == "gpu":
                    for d in group:
                        d.fail(-errno.ENODEV, self._backend.name, exc)
                else:
                    runner = self._runner()
                    self._run_or_fail(runner, group)
            except Exception as exc:  # noqa: BLE001 - complete, never lose, the descriptors
                log.exception("gpuacomp: %s failed a batch", self.algorithm.driver)
                for d in group:
                    d.fail(-errno.EIO, runner.backend.name, exc)
            if runner.timed_out:
                self._mark_broken("a descriptor timed out")
                runner = self._runner()

    def _run_or_fail(self, runner, group):
        try:
            runner.run(group)
        except Exception as exc:  # noqa: BLE001
            log.exception("gpuacomp: the CPU path failed a batch")
            for d in group:
                d.fail(-errno.EIO, runner.backend.name, exc)

    def _complete(self, work):
        for d in work:
            _call_hook(d.on_complete, d)
        entered = []
        with self._cond:
            for d in work:
                d.done = True
                came_in = self._queues[d.queue].release()
                if came_in is not None:
                    entered.append(came_in)
            self._cond.notify_all()
            if entered:
                self._wake_engine()
        for d in entered:
            _call_hook(d.on_enter, d)
        for d in work:
            _call_hook(d.on_done, d)
            # The hooks are spent; dropping them breaks the cycle owner -> descriptor ->
            # hook -> owner, so a batch's output is freed when its owner lets go, not at
            # the next garbage collection.
            d.on_complete = d.on_done = d.on_enter = None

    def _runner(self):
        backend = self._backend
        if self._broken is not None and self._policy == "fallback":
            backend = self._cpu()
        max_device_page = GPU_MAX_PAGE_SIZE if backend.name != "cpu" else MAX_PAGE_SIZE
        return GroupRunner(backend, self._cpu(), (self.candidates, self.lazy),
                           self.verify_compress, self.faults, self.stats,
                           self.algorithm.accelerated, max_device_page, self.algorithm.bound)

    def _cpu(self):
        if self._software is None:
            self._software = backends.load(self.algorithm, "cpu", self._threads)
        return self._software

    def _mark_broken(self, why):
        if self._broken is None:
            self._broken = why
            where = "its work fails with -ENODEV" if self._policy == "gpu" \
                else "its work moves to the CPU path"
            log.warning("gpuacomp: %s device broken (%s); %s", self.algorithm.driver, why, where)


def check_sync_mode(mode):
    if mode not in SYNC_MODES:
        raise ValueError(f"sync_mode must be one of {', '.join(SYNC_MODES)}, got {mode!r}")
    return mode


def _call_hook(hook, descriptor):
    if hook is None:
        return
    try:
        hook(descriptor)
    except Exception:  # noqa: BLE001 - a caller's callback must not stop the engine
        log.exception("gpuacomp: a completion callback raised")

