"""zswap's per-CPU compression context (``struct crypto_acomp_ctx``)."""

import errno
import threading
import time

import numpy as np

from gpuacomp import acomp

PAGE_SIZE = 4096


class CpuContext:
    """One simulated CPU's transform, requests and buffers, behind its mutex.

    ``nr_reqs`` is ``crypto_acomp_batch_size`` when the transform batches, else 1, as
    in the batching series; each request has a destination buffer of 2 pages (a page
    may compress to more than a page).
    """

    def __init__(self, cpu, compressor, batching=True):
        self.cpu = cpu
        self.mutex = threading.Lock()
        self.tfm = acomp.crypto_alloc_acomp(compressor, 0, 0)
        batches = batching and acomp.acomp_has_async_batching(self.tfm)
        self.nr_reqs = acomp.crypto_acomp_batch_size(self.tfm) if batches else 1
        self.reqs = [acomp.acomp_request_alloc(self.tfm) for _ in range(self.nr_reqs)]
        self.buffers = [np.zeros(2 * PAGE_SIZE, np.uint8) for _ in range(self.nr_reqs)]
        self.wait = acomp.crypto_init_wait()
        self.compress_latencies = []  # seconds of each compress call (a batch or a page)
        self.compress_seconds = 0.0  # time inside the acomp calls
        self.store_seconds = 0.0  # time inside store(), for the model's overhead

    @property
    def batches(self):
        return self.nr_reqs > 1

    def compress(self, folio):
        """Compress the folio's pages: ``(outputs, errors)``, an output per page
        (a copy of its compressed bytes, or ``None`` when ``errors[i]`` is set)."""
        outputs, errors = [], []
        for start in range(0, len(folio), self.nr_reqs):
            chunk = folio[start:start + self.nr_reqs]
            n = len(chunk)
            dlens, errs = [2 * PAGE_SIZE] * n, [0] * n
            t0 = time.perf_counter()
            if self.batches:
                acomp.crypto_acomp_batch_compress(self.reqs, [self.wait], list(chunk),
                                                  self.buffers, dlens, errs, n, True)
            else:
                req = self.reqs[0]
                acomp.acomp_request_set_params(req, chunk[0], self.buffers[0], PAGE_SIZE,
                                               2 * PAGE_SIZE)
                acomp.acomp_request_set_callback(req, acomp.CRYPTO_TFM_REQ_MAY_BACKLOG,
                                                 acomp.crypto_req_done, self.wait)
                errs[0] = acomp.crypto_wait_req(acomp.crypto_acomp_compress(req), self.wait)
                dlens[0] = req.dlen
            elapsed = time.perf_counter() - t0
            self.compress_latencies.append(elapsed)
            self.compress_seconds += elapsed
            for i in range(n):
                errors.append(errs[i])
                outputs.append(self.buffers[i][:dlens[i]].copy() if errs[i] == 0 else None)
        return outputs, errors

    def decompress(self, data, out):
        """Decompress ``data`` into ``out`` (a page): 0, or a negative errno; a wrong
        length is -EIO, as zswap checks it."""
        req = self.reqs[0]
        acomp.acomp_request_set_params(req, data, out, len(data), PAGE_SIZE)
        acomp.acomp_request_set_callback(req, acomp.CRYPTO_TFM_REQ_MAY_BACKLOG,
                                         acomp.crypto_req_done, self.wait)
        err = acomp.crypto_wait_req(acomp.crypto_acomp_decompress(req), self.wait)
        if err == 0 and req.dlen != PAGE_SIZE:
            return -errno.EIO
        return err

    def free(self):
        for req in self.reqs:
            acomp.acomp_request_free(req)
        acomp.crypto_free_acomp(self.tfm)
