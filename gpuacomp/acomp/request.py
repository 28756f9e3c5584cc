"""Requests (``struct acomp_req``): buffers, lengths, callback, chain; one owner at a time."""

import numpy as np

from gpuacomp.acomp.constants import CRYPTO_TFM_REQ_MAY_BACKLOG, CRYPTO_TFM_REQ_MAY_SLEEP
from gpuacomp.inputs import is_device_array

_KNOWN_FLAGS = CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP


class AcompReq:
    """One compression or decompression request of a transform.

    ``src``/``dst`` are 1-D uint8 arrays; ``slen`` the source bytes; ``dlen`` the
    capacity of ``dst`` on submission and the bytes produced on success.  ``record`` is
    the completion record of the last run (status, output size, error code, CRC).
    """

    def __init__(self, tfm, serial):
        self.tfm = tfm
        self.serial = serial
        self.src = self.dst = None
        self.slen = self.dlen = 0
        self.flags = 0
        self.complete = None
        self.data = None
        self.completed_by = None  # (descriptor, page) of the last completion
        self.chain = [self]  # this request and those chained to it (acomp_request_chain)
        self.head = None  # the head this request is chained to, if any
        self.err = 0  # this request's last result (acomp_request_err)
        self.result = 0  # the last result of the run it headed: its chain's first error
        self.submission = None  # the run in flight, if any
        self.freed = False

    def __repr__(self):
        state = "freed" if self.freed else "in flight" if self.submission else "idle"
        return f"<acomp_req #{self.serial} of {self.tfm.algorithm.driver}, {state}>"

    @property
    def record(self):
        """The completion record of the last run on the device (``None`` if none)."""
        if self.completed_by is None:
            return None
        descriptor, page = self.completed_by
        return descriptor.record(page)

    def check_idle(self, action):
        """Raise unless the caller owns this request (allocated, not freed, not in flight)."""
        if self.freed:
            raise RuntimeError(f"{action}: {self!r} was freed (acomp_request_free)")
        if self.submission is not None:
            raise RuntimeError(f"{action}: {self!r} is in flight; wait for its completion")


_serial = iter(range(1, 1 << 62))


def acomp_request_alloc(tfm):
    """A new request for ``tfm``."""
    tfm.check_usable()
    return AcompReq(tfm, next(_serial))


def acomp_request_free(req):
    """Free a request; freeing one in flight is an error."""
    req.check_idle("acomp_request_free")
    req.freed = True


def acomp_request_set_params(req, src, dst, slen, dlen):
    """Point ``req`` at its buffers: ``slen`` bytes of ``src``, ``dlen`` bytes of ``dst``."""
    if req.submission is not None or req.freed:
        req.check_idle("acomp_request_set_params")
    _check_buffer("src", src)
    _check_buffer("dst", dst)
    _check_length("slen", slen, src, "src")
    _check_length("dlen", dlen, dst, "dst")
    req.src, req.dst, req.slen, req.dlen = src, dst, int(slen), int(dlen)


def acomp_request_set_callback(req, flags, cmpl, data):
    """Set the flags (``CRYPTO_TFM_REQ_MAY_BACKLOG``, ``..._MAY_SLEEP``) and the callback
    ``cmpl(data, err)`` run when an asynchronous request completes."""
    req.check_idle("acomp_request_set_callback")
    if isinstance(flags, bool) or not isinstance(flags, int) or flags & ~_KNOWN_FLAGS:
        raise ValueError(f"flags must combine CRYPTO_TFM_REQ_MAY_BACKLOG and "
                         f"CRYPTO_TFM_REQ_MAY_SLEEP, got {flags!r}")
    if cmpl is not None and not callable(cmpl):
        raise TypeError(f"cmpl must be callable or None, got {type(cmpl).__name__}")
    req.flags, req.complete, req.data = flags, cmpl, data


def acomp_request_chain(req, head):
    """Chain ``req`` behind ``head``: submitting ``head`` submits the whole chain, which
    the API divides into device batches; each request's result is ``acomp_request_err``.
    The chain stays until the requests are freed (resubmitting ``head`` runs it again)."""
    head.check_idle("acomp_request_chain")
    req.check_idle("acomp_request_chain")
    if req.tfm is not head.tfm:
        raise ValueError("acomp_request_chain: req and head belong to different transforms")
    if req is head or req.head is not None or len(req.chain) > 1:
        raise ValueError(f"acomp_request_chain: {req!r} is already in a chain")
    if head.head is not None:
        raise ValueError(f"acomp_request_chain: {head!r} is chained to another head")
    head.chain.append(req)
    req.head = head


def acomp_request_err(req):
    """The result of ``req`` in its last run (0 or -errno; -EINPROGRESS while in flight)."""
    return req.err


def _check_length(name, value, buffer, buffer_name):
    if type(value) is not int and (isinstance(value, bool) or
                                   not isinstance(value, (int, np.integer))):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not 0 <= value <= buffer.shape[0]:
        raise ValueError(f"{name} {value} is outside 0..{buffer.shape[0]} "
                         f"(the size of {buffer_name})")


def _check_buffer(name, array):
    if type(array) is np.ndarray and array.dtype == np.uint8 and array.ndim == 1 \
            and array.flags.c_contiguous:
        return
    if not hasattr(array, "dtype") or not hasattr(array, "ndim"):
        raise TypeError(f"{name} must be a 1-D uint8 array, got {type(array).__name__}")
    if array.dtype != np.uint8 or array.ndim != 1:
        raise TypeError(f"{name} must be a 1-D uint8 array, got {array.ndim}-D {array.dtype}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name} must be contiguous")
    if is_device_array(array):
        raise TypeError(f"{name}: the acomp facade takes host (numpy) arrays; "
                        "use gpuacomp.Compressor for device-resident pages")
