"""The batching API of the zswap/IAA series: ``crypto_acomp_batch_compress`` and
``crypto_acomp_batch_decompress``, up to ``crypto_acomp_batch_size(tfm)`` pages."""

from gpuacomp.acomp.constants import CRYPTO_TFM_REQ_MAY_BACKLOG, EAGAIN, EINPROGRESS, EINVAL
from gpuacomp.acomp.ops import crypto_acomp_compress, crypto_acomp_decompress
from gpuacomp.acomp.request import acomp_request_set_callback, acomp_request_set_params
from gpuacomp.acomp.submission import (deliver, invalid_member, make_descriptor, owner_lock,
                                       page_size_key)
from gpuacomp.acomp.tfm import crypto_acomp_batch_size
from gpuacomp.acomp.wait import crypto_init_wait, crypto_req_done, crypto_wait_req
from gpuacomp.engine.descriptor import COMPRESS, DECOMPRESS


def crypto_acomp_batch_compress(reqs, waits, pages, dsts, dlens, errors, nr_pages, parallel):
    """Compress ``nr_pages`` pages; True iff every page succeeded.

    ``pages[i]`` and ``dsts[i]`` are 1-D uint8 arrays; ``dlens[i]`` is the capacity of
    ``dsts[i]`` on entry and the compressed size on return; ``errors[i]`` is set to 0 or
    a negative errno.  ``parallel=True`` submits every page at once (request ``reqs[i]``
    for page i, all in one batch descriptor as a DSA/IAA batch), so the device runs
    them as one backend call; ``parallel=False`` goes page by page through ``reqs[0]``
    (and ``waits[0]``).  Software drivers (batch size 1) always go page by page.
    """
    return _batch(COMPRESS, reqs, waits, pages, dsts, [len(p) for p in pages[:nr_pages]],
                  dlens, errors, nr_pages, parallel)


def crypto_acomp_batch_decompress(reqs, waits, srcs, pages, slens, dlens, errors, nr_pages,
                                  parallel):
    """Decompress ``nr_pages`` blocks ``srcs[i][:slens[i]]`` into ``pages[i]``; True iff
    every page succeeded.  ``dlens[i]`` is set to the bytes produced (the capacity is
    ``len(pages[i])``); ``errors[i]`` to 0 or a negative errno."""
    for i in range(min(nr_pages, len(dlens))):
        dlens[i] = len(pages[i])
    return _batch(DECOMPRESS, reqs, waits, srcs, pages, slens, dlens, errors, nr_pages,
                  parallel)


def _batch(op, reqs, waits, srcs, dsts, slens, dlens, errors, nr_pages, parallel):
    name = f"crypto_acomp_batch_{op}"
    if not reqs:
        raise ValueError(f"{name}: reqs is empty")
    tfm = reqs[0].tfm
    limit = crypto_acomp_batch_size(tfm)
    if isinstance(nr_pages, bool) or not isinstance(nr_pages, int) or not 1 <= nr_pages <= limit:
        raise ValueError(f"{name}: nr_pages must be in 1..{limit} "
                         f"(crypto_acomp_batch_size of {tfm.algorithm.driver}), got {nr_pages!r}")
    needed_reqs = nr_pages if parallel else 1
    src_name, dst_name = ("pages", "dsts") if op == COMPRESS else ("srcs", "pages")
    sequences = {"reqs": (reqs, needed_reqs), src_name: (srcs, nr_pages),
                 dst_name: (dsts, nr_pages), "slens": (slens, nr_pages),
                 "dlens": (dlens, nr_pages), "errors": (errors, nr_pages)}
    for label, (seq, need) in sequences.items():
        if len(seq) < need:
            raise ValueError(f"{name}: {label} has {len(seq)} entries, nr_pages needs {need}")
    if any(r.tfm is not tfm for r in reqs[:needed_reqs]):
        raise ValueError(f"{name}: every request must belong to the same transform")
    for i in range(nr_pages):
        errors[i] = 0
    if parallel and tfm.device is not None:
        _parallel(op, reqs[:nr_pages], srcs, dsts, slens, dlens, errors)
    else:
        _sequential(op, reqs[0], waits[0] if waits else crypto_init_wait(), srcs, dsts,
                    slens, dlens, errors, nr_pages)
    return all(errors[i] == 0 for i in range(nr_pages))


def _sequential(op, req, wait, srcs, dsts, slens, dlens, errors, nr_pages):
    submit = crypto_acomp_compress if op == COMPRESS else crypto_acomp_decompress
    for i in range(nr_pages):
        acomp_request_set_params(req, srcs[i], dsts[i], slens[i], dlens[i])
        acomp_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG, crypto_req_done, wait)
        errors[i] = crypto_wait_req(submit(req), wait)
        dlens[i] = req.dlen if errors[i] == 0 else 0


def _parallel(op, reqs, srcs, dsts, slens, dlens, errors):
    """Submit the pages at once, as batch descriptors (one per page size), and collect
    the completions as they come; results land in page order."""
    by_size = {}
    for i, req in enumerate(reqs):
        acomp_request_set_params(req, srcs[i], dsts[i], slens[i], dlens[i])
        if invalid_member(req, op):
            errors[i] = req.err = req.result = -EINVAL
            dlens[i] = 0
        else:
            by_size.setdefault(page_size_key(op, req), []).append(i)
    runs = [(indices, make_descriptor(op, [reqs[i] for i in indices]))
            for indices in by_size.values()]
    if not runs:
        return
    tfm = reqs[0].tfm
    _claim(tfm, reqs, True)
    try:
        tfm.device.submit_all([d for _, d in runs], tfm.queue, may_backlog=True, waiter=True)
        while runs:
            tfm.device.wait_any([d for _, d in runs])
            for indices, d in [run for run in runs if run[1].done]:
                deliver(op, d, [reqs[i] for i in indices])
                for i in indices:
                    errors[i] = reqs[i].result = reqs[i].err
                    dlens[i] = reqs[i].dlen if errors[i] == 0 else 0
                runs.remove((indices, d))
    finally:
        _claim(tfm, reqs, False)


def _claim(tfm, reqs, in_flight):
    """The batch call owns its requests until it returns."""
    with owner_lock:
        if in_flight:
            for req in reqs:
                req.check_idle("crypto_acomp_batch")
        for req in reqs:
            req.submission = _IN_BATCH if in_flight else None
            if in_flight:
                req.err = -EINPROGRESS
        tfm.in_flight += len(reqs) if in_flight else -len(reqs)


class _InBatch:
    """Stands for the batch call in ``req.submission`` while it owns the request."""

    def poll(self):
        return -EAGAIN


_IN_BATCH = _InBatch()
