"""One run of a request, or of a chain headed by it, from the call until it returns
to its owner: descriptors, completion, the callback, polling.

How the result reaches the owner depends on the mode (iaa_crypto's ``sync_mode``):

``sync``       the call waits and returns the result; no callback.
``async_irq``  the call returns -EINPROGRESS (or -EBUSY if backlogged); the engine
               runs the callback with the result, as an interrupt handler would.
``async``      the call returns -EINPROGRESS / -EBUSY; the owner polls
               (``crypto_acomp_poll``), and the poll that sees the completion runs the
               callback.  ``crypto_wait_req`` polls for such requests, so waiting works in
               every mode.
"""

import threading

import numpy as np

from gpuacomp.acomp.constants import (ACCELERATOR_BATCH_SIZE, CRYPTO_TFM_REQ_MAY_BACKLOG,
                                      EAGAIN, EBUSY, EINPROGRESS, ENOSPC)
from gpuacomp.acomp.wait import CryptoWait, crypto_req_done
from gpuacomp.engine.descriptor import COMPRESS, DECOMPRESS, Descriptor
from gpuacomp.engine.queues import BACKLOGGED, FULL
from gpuacomp.kernels.lz4 import MAX_PAGE_SIZE

owner_lock = threading.Lock()  # guards the hand-back of requests to their owners


class Submission:
    """Runs ``head``'s chain, divided into device batches: runs of up to
    ``ACCELERATOR_BATCH_SIZE`` requests of one page size, one batch descriptor each."""

    def __init__(self, head, op, mode):
        self.head = head
        self.members = list(head.chain)
        self.op = op
        self.mode = mode
        self.device = head.tfm.device
        self.remaining = len(self.members)
        self.completed = False  # every member has its result
        self.finished = False  # the requests are their owner's again
        self.descriptors = []
        for run in device_batches(op, self.members):
            d = make_descriptor(op, run)
            d.on_complete = self._batch_complete(run)
            d.on_done = self._batch_done
            self.descriptors.append(d)

    # -- from the caller -------------------------------------------------------------------

    def claim(self):
        """The requests are in flight from now until ``_hand_back`` (checked under the
        lock, so that two threads submitting one request cannot both succeed)."""
        with owner_lock:
            for m in self.members:
                m.check_idle(f"crypto_acomp_{self.op}")
            for m in self.members:
                m.submission, m.err = self, -EINPROGRESS
            self.head.tfm.in_flight += len(self.members)

    def submit(self, waiter=False):
        """Queue the descriptors; returns -EINPROGRESS, -EBUSY or -ENOSPC."""
        self.claim()
        head = self.head
        if self.mode in ("async", "async_irq") and head.complete is not None:
            self.descriptors[0].on_enter = self._entered
        may_backlog = bool(head.flags & CRYPTO_TFM_REQ_MAY_BACKLOG)
        outcome = self.device.submit_all(self.descriptors, head.tfm.queue, may_backlog, waiter)
        if outcome == FULL:
            self._hand_back()
            for m in self.members:
                m.err = -ENOSPC
            head.result = -ENOSPC
            return -ENOSPC
        if self.mode == "async" and head.complete is crypto_req_done \
                and isinstance(head.data, CryptoWait):
            head.data._polled.append(self)
        return -EBUSY if outcome == BACKLOGGED else -EINPROGRESS

    def run_sync(self):
        """The ``sync`` mode: submit, wait, return the result."""
        err = self.submit(waiter=True)
        if err == -ENOSPC:
            return err
        self.device.wait(self.descriptors)
        self._hand_back()
        return self.head.result

    def poll(self):
        """-EAGAIN until the run is complete, then its result (``crypto_acomp_poll``)."""
        if not self.completed:
            return -EAGAIN
        if self.mode == "async_irq":
            # The engine hands the request back, then runs the callback.
            return self.head.result if self.finished else -EAGAIN
        if self._hand_back() and self.mode == "async":
            polled = getattr(self.head.data, "_polled", None)
            if polled is not None and self in polled:
                polled.remove(self)  # seen here: crypto_wait_req need not poll it again
            self._callback(self.head.result)
        return self.head.result

    def wait_and_poll(self):
        self.device.wait(self.descriptors)
        return self.poll()

    # -- from the engine thread ------------------------------------------------------------

    def _entered(self, descriptor):
        self._callback(-EINPROGRESS)

    def _batch_complete(self, run):
        def on_complete(d):
            deliver(self.op, d, run)
            self.remaining -= len(run)
            if self.remaining == 0:
                self.head.result = next((m.err for m in self.members if m.err), 0)
                self.completed = True
        return on_complete

    def _batch_done(self, d):
        if self.completed and self.mode == "async_irq" and self._hand_back():
            self._callback(self.head.result)

    # -- both ------------------------------------------------------------------------------

    def _hand_back(self):
        """Return the requests to their owner, once; True for the call that did."""
        with owner_lock:
            if self.finished:
                return False
            self.finished = True
            for m in self.members:
                m.submission = None
            self.head.tfm.in_flight -= len(self.members)
            return True

    def _callback(self, err):
        if self.head.complete is not None:
            self.head.complete(self.head.data, err)


def page_size_key(op, req):
    """Requests of one key can share a batch descriptor."""
    return req.slen if op == COMPRESS else min(req.dlen, MAX_PAGE_SIZE)


def device_batches(op, reqs):
    """``reqs`` in order, cut into runs of one page size, at most a device batch each."""
    runs = []
    for req in reqs:
        key = page_size_key(op, req)
        if runs and len(runs[-1]) < ACCELERATOR_BATCH_SIZE and \
                page_size_key(op, runs[-1][0]) == key:
            runs[-1].append(req)
        else:
            runs.append([req])
    return runs


def make_descriptor(op, reqs):
    """One batch descriptor for ``reqs`` (of one page size), holding copies of their
    sources: the device owns what it was given, as with DMA."""
    n = len(reqs)
    size = page_size_key(op, reqs[0])
    if op == COMPRESS:
        pages = np.empty((n, size), np.uint8)
        for k, req in enumerate(reqs):
            pages[k] = req.src[:size]
        capacity = np.fromiter((req.dlen for req in reqs), np.int64, n)
        return Descriptor(COMPRESS, pages=pages, capacity=capacity, want_crc=True)
    lengths = np.fromiter((req.slen for req in reqs), np.int64, n)
    offsets = np.zeros(n, np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    data = np.concatenate([req.src[:req.slen] for req in reqs])
    return Descriptor(DECOMPRESS, data=data, offsets=offsets, lengths=lengths, capacity=size,
                      want_crc=True)


def deliver(op, d, reqs):
    """Copy a completed descriptor's results into its requests (dst, dlen, err, record)."""
    status, sizes = np.asarray(d.status).tolist(), np.asarray(d.output_size).tolist()
    if op == COMPRESS and d.output is not None:
        data, offsets = d.output
        offsets = np.asarray(offsets).tolist()
    for k, req in enumerate(reqs):
        size = sizes[k]
        if status[k] == 0:
            if op == COMPRESS:
                req.dst[:size] = data[offsets[k]:offsets[k] + size]
            else:
                req.dst[:size] = d.output[k, :size]
            req.dlen = size
        req.err = status[k]
        req.completed_by = (d, k)


def invalid_member(req, op):
    """Why ``req`` cannot be submitted for ``op`` (a message), or ``None``."""
    if req.src is None:
        return "no buffers (acomp_request_set_params was not called)"
    if op == COMPRESS and req.slen > MAX_PAGE_SIZE:
        return f"slen {req.slen} exceeds the largest page, {MAX_PAGE_SIZE} bytes"
    return None

