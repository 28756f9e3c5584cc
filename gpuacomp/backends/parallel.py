"""Host-side parallel helpers shared by the backends (numba prange)."""

import threading

from numba import prange

from gpuacomp.backends.numba_cache import njit

# One parallel region at a time: each already uses every core, and numba's fallback
# threading layer (workqueue) aborts the process on concurrent parallel calls.
PARALLEL_LOCK = threading.Lock()


@njit(cache=True, nogil=True, parallel=True)
def _copy_rows(dst, src):
    for r in prange(src.shape[0]):
        dst[r, :] = src[r, :]


def copy_rows(dst, src):
    """``dst[:] = src`` for 2-D arrays of equal shape, rows spread over all cores."""
    with PARALLEL_LOCK:
        _copy_rows(dst, src)
