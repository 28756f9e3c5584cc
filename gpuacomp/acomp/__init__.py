"""The kernel-shaped facade: crypto acomp names, requests and -errno results.

Code written against include/crypto/acompress.h (and the zswap/IAA batching series)
runs here in the same shape::

    from gpuacomp import acomp
    tfm = acomp.crypto_alloc_acomp("lz4", 0, 0)
    req = acomp.acomp_request_alloc(tfm)
    wait = acomp.crypto_init_wait()
    acomp.acomp_request_set_params(req, src, dst, 4096, len(dst))
    acomp.acomp_request_set_callback(req, acomp.CRYPTO_TFM_REQ_MAY_BACKLOG,
                                     acomp.crypto_req_done, wait)
    err = acomp.crypto_wait_req(acomp.crypto_acomp_compress(req), wait)  # req.dlen

The accelerator's drivers run on an emulated device (``acomp.accelerator(driver)``:
queues, statistics, fault injection; ``acomp.configure`` sets its attributes).
Importing this module loads neither numba nor CuPy.
"""

from gpuacomp.acomp.batch import crypto_acomp_batch_compress, crypto_acomp_batch_decompress
from gpuacomp.acomp.constants import (ACCELERATOR_BATCH_SIZE, CRYPTO_ALG_ASYNC,
                                      CRYPTO_TFM_REQ_MAY_BACKLOG, CRYPTO_TFM_REQ_MAY_SLEEP)
from gpuacomp.acomp.ops import crypto_acomp_compress, crypto_acomp_decompress, crypto_acomp_poll
from gpuacomp.acomp.request import (AcompReq, acomp_request_alloc, acomp_request_chain,
                                    acomp_request_err, acomp_request_free,
                                    acomp_request_set_callback, acomp_request_set_params)
from gpuacomp.acomp.tfm import (AcompTfm, accelerator, acomp_has_async_batching,
                                acomp_is_async, configure, crypto_acomp_batch_size,
                                crypto_acomp_driver_name, crypto_alloc_acomp,
                                crypto_free_acomp, reset_configuration)
from gpuacomp.acomp.wait import CryptoWait, crypto_init_wait, crypto_req_done, crypto_wait_req

__all__ = [
    "ACCELERATOR_BATCH_SIZE", "AcompReq", "AcompTfm", "CRYPTO_ALG_ASYNC",
    "CRYPTO_TFM_REQ_MAY_BACKLOG", "CRYPTO_TFM_REQ_MAY_SLEEP", "CryptoWait", "accelerator",
    "acomp_has_async_batching", "acomp_is_async", "acomp_request_alloc", "acomp_request_chain",
    "acomp_request_err", "acomp_request_free", "acomp_request_set_callback",
    "acomp_request_set_params", "configure", "crypto_acomp_batch_compress",
    "crypto_acomp_batch_decompress", "crypto_acomp_batch_size", "crypto_acomp_compress",
    "crypto_acomp_decompress", "crypto_acomp_driver_name", "crypto_acomp_poll",
    "crypto_alloc_acomp", "crypto_free_acomp", "crypto_init_wait", "crypto_req_done",
    "crypto_wait_req", "reset_configuration",
]
