"""``crypto_acomp_compress`` / ``decompress`` / ``poll``: one request (or chain) at a time."""

import logging

import numpy as np

from gpuacomp.acomp.constants import EINVAL
from gpuacomp.acomp.submission import Submission, invalid_member
from gpuacomp.engine.descriptor import COMPRESS, DECOMPRESS

log = logging.getLogger("gpuacomp")


def crypto_acomp_compress(req):
    """Compress ``req.slen`` bytes of ``req.src`` into ``req.dst`` (capacity ``req.dlen``).

    Returns 0 (done: ``req.dlen`` is the compressed size), -EINPROGRESS (accepted; the
    callback or a poll gives the result), -EBUSY (backlogged under MAY_BACKLOG: the
    callback runs with -EINPROGRESS when it enters the queue, then with the result),
    -ENOSPC (queue full, no MAY_BACKLOG) or a negative errno: -EINVAL for a bad request,
    -E2BIG when the output does not fit ``dlen`` (-EINVAL from software drivers).
    Submitting the head of a chain submits the chain.
    """
    return _submit(req, COMPRESS)


def crypto_acomp_decompress(req):
    """Decompress ``req.slen`` bytes of ``req.src`` into at most ``req.dlen`` bytes of
    ``req.dst``; returns as ``crypto_acomp_compress`` (-EOVERFLOW when the output does
    not fit; a block the device fails to decode is retried in software)."""
    return _submit(req, DECOMPRESS)


def crypto_acomp_poll(req):
    """-EAGAIN while ``req`` (or the chain it heads) is in flight, then its result.

    In ``async`` mode the poll that sees the completion runs the callback and hands the
    request back to its owner.
    """
    if req.submission is None:
        return req.result
    return req.submission.poll()


def _submit(req, op):
    req.check_idle(f"crypto_acomp_{op}")
    if req.head is not None:
        raise RuntimeError(f"crypto_acomp_{op}: {req!r} is chained; submit its head")
    tfm = req.tfm
    tfm.check_usable()
    for member in req.chain:
        member.check_idle(f"crypto_acomp_{op}")
    problems = [(m, invalid_member(m, op)) for m in req.chain]
    if any(problem for _, problem in problems):
        for member, problem in problems:
            member.err = -EINVAL if problem else 0
            if problem:
                log.debug("gpuacomp: %r: %s", member, problem)
        req.result = -EINVAL
        return -EINVAL
    if tfm.device is None:
        return _run_software(req, op)
    mode = tfm.device.sync_mode
    submission = Submission(req, op, mode)
    if mode == "sync":
        return submission.run_sync()
    return submission.submit()


def _run_software(req, op):
    """Software drivers are synchronous: run each request in the caller."""
    software = req.tfm.software
    for member in req.chain:
        src = member.src[:member.slen]
        if op == COMPRESS:
            slot = req.tfm.algorithm.bound(member.slen)
            data, lengths = software.compress(src.reshape(1, -1), slot)
            size = int(lengths[0])
            produced = data[:max(size, 0)]
        else:
            out, sizes = software.decompress(src, np.zeros(1, np.int64),
                                             np.full(1, member.slen, np.int64), member.dlen)
            size = int(sizes[0])
            produced = out[0, :max(size, 0)]
        if size < 0 or size > member.dlen:
            member.err = -EINVAL  # as crypto/lz4.c: liblz4 reports no finer error
            continue
        member.dst[:size] = produced
        member.dlen, member.err = size, 0
    req.result = next((m.err for m in req.chain if m.err), 0)
    return req.result

