"""The one place that decides where a batch runs: ``auto | gpu | cpu``.

``auto`` takes the GPU when it is usable and otherwise the CPU, recording why;
``gpu`` raises when the GPU cannot run; ``cpu`` always runs.  The default comes from
the ``GPUACOMP_DEVICE`` environment variable.  Under ``NUMBA_ENABLE_CUDASIM=1`` the GPU
path runs in numba's CUDA simulator and reports itself as ``gpu-sim``.

Nothing here imports numba or CuPy until a decision is asked for.
"""

import functools
import logging
import os
from dataclasses import dataclass

from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE

DEVICES = ("auto", "gpu", "cpu")
ENV_VAR = "GPUACOMP_DEVICE"

log = logging.getLogger("gpuacomp")


class GPUUnavailableError(RuntimeError):
    """``device="gpu"`` was asked for and no usable GPU (or simulator) was found."""


@dataclass(frozen=True)
class BackendChoice:
    """Where batches will run: ``name`` is ``"cpu"``, ``"gpu"`` or ``"gpu-sim"``;
    ``reason`` says why (empty when the requested device was taken as asked)."""

    name: str
    reason: str = ""


def simulator_enabled():
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "") not in ("", "0")


@functools.lru_cache(maxsize=None)
def gpu_unavailable_reason():
    """Why the GPU path cannot run here, or ``None`` if it can (cached per process)."""
    try:
        from numba import cuda
    except ImportError as exc:
        return f"numba's CUDA target is not installed ({exc}); pip install 'gpuacomp[cuda13]'"
    if simulator_enabled():
        return None
    try:
        import cupy
    except ImportError as exc:
        return f"CuPy is not installed ({exc}); pip install 'gpuacomp[cuda13]' or '[cuda12]'"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CuPy raises its own runtime error types
        return f"no CUDA device: {exc}"
    if count == 0:
        return "no CUDA device found"
    if not cuda.is_available():
        return "numba cannot use the CUDA driver (numba.cuda.is_available() is False)"
    return None


def requested(device=None):
    """The device asked for: ``device``, else ``$GPUACOMP_DEVICE``, else ``"auto"``."""
    if device is None:
        device = os.environ.get(ENV_VAR, "") or "auto"
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    return device


def resolve(device=None, page_size=4096):
    """Decide the backend for ``device`` (``None``: ``$GPUACOMP_DEVICE``, else ``auto``)."""
    device = requested(device)
    if device == "cpu":
        return BackendChoice("cpu")
    reason = gpu_unavailable_reason()
    if reason is None and page_size > GPU_MAX_PAGE_SIZE:
        reason = f"the GPU kernels take pages of up to {GPU_MAX_PAGE_SIZE} bytes, not {page_size}"
    gpu_name = "gpu-sim" if simulator_enabled() else "gpu"
    if reason is None:
        return BackendChoice(gpu_name)
    if device == "gpu":
        raise GPUUnavailableError(f"device='gpu' but the GPU cannot run: {reason}")
    log.info("gpuacomp: running on the CPU: %s", reason)
    return BackendChoice("cpu", reason)
