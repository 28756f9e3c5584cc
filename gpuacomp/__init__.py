"""gpuacomp: batch compression of memory pages with accelerator (crypto acomp) semantics.

A batch of pages compresses in parallel on a GPU, or on the CPU with byte-identical
output.  ``import gpuacomp`` is light: numba and CuPy load when a Compressor is made.
"""

from gpuacomp.algorithms import Algorithm, available_algorithms
from gpuacomp.batch import PageBatch
from gpuacomp.device import GPUUnavailableError

__version__ = "0.1.0"

__all__ = ["Algorithm", "Compressor", "DecompressionError", "GPUUnavailableError",
           "PageBatch", "available_algorithms", "__version__"]


def __getattr__(name):
    # The Compressor module pulls in the backends' dependencies; load it on first use.
    if name in ("Compressor", "DecompressionError"):
        from gpuacomp import compressor
        return getattr(compressor, name)
    raise AttributeError(f"module 'gpuacomp' has no attribute {name!r}")
