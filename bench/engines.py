"""The ways the benchmark runs gpuacomp: CPU with one thread and all cores, the GPU
host-to-host and device-resident; what happened to the GPU; first (compiling) calls."""

import numpy as np

from bench.common import Fatal, timed_call

FIRST_CALL_PAGES = 8


class Engine:
    """One way of running gpuacomp: a Compressor, and whether its input lives on the GPU."""

    def __init__(self, key, label, compressor, resident=False, threads=None):
        self.key = key
        self.label = label
        self.compressor = compressor
        self.resident = resident
        self.threads = threads

    @property
    def backend(self):
        return self.compressor.backend


def make_engines(device, progress):
    """The CPU engines (1 thread, all threads) and the GPU ones when ``device`` allows.

    Returns ``(engines, banner, gpu_status)``: ``banner`` is the loud line printed when
    the GPU was wanted but the run fell back to the CPU; ``gpu_status`` says in a few
    words what happened to the GPU.
    """
    import numba

    from gpuacomp import Compressor

    progress(f"starting gpuacomp (device={device})")
    threads = numba.config.NUMBA_NUM_THREADS  # the CPU backend's default
    cpu1 = Compressor("lz4", device="cpu", threads=1)
    cpu_all = None
    banner = None
    gpu = None
    if device == "cpu":
        gpu_status = "not run (--device cpu)"
    else:
        try:
            probe = Compressor("lz4", device=device)
        except Exception as exc:  # GPUUnavailableError, or the GPU backend failed to start
            if device == "gpu":
                raise Fatal(f"--device gpu: {type(exc).__name__}: {exc}") from exc
            reason = f"the GPU backend failed to start: {type(exc).__name__}: {exc}"
            banner = f"*** GPU not available: {reason} — running on the CPU ***"
            gpu_status = f"failed to start ({type(exc).__name__}: {exc})"
        else:
            if probe.backend == "cpu":
                cpu_all = probe  # keeps the auto Compressor's own backend_reason
                banner = (f"*** GPU not available: {probe.backend_reason} "
                          f"— running on the CPU ***")
                gpu_status = f"not available ({probe.backend_reason})"
            elif probe.backend == "gpu-sim" and device == "auto":
                banner = ("*** GPU path is numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1): "
                          "too slow to time, not run — running on the CPU ***")
                gpu_status = "simulator only, not run (use --device gpu to time it anyway)"
            else:
                gpu = probe
                gpu_status = f"ran ({probe.backend})"
    if cpu_all is None:
        cpu_all = Compressor("lz4", device="cpu")
    engines = [Engine("cpu_1t", "cpu, 1 thread", cpu1, threads=1),
               Engine("cpu_all", f"cpu, {threads} threads (all)", cpu_all, threads=threads)]
    if gpu is not None:
        engines.append(Engine("gpu", f"{gpu.backend}, host-to-host", gpu))
        if gpu.backend == "gpu":
            engines.append(Engine("gpu_resident", "gpu, device-resident", gpu, resident=True))
    return engines, banner, gpu_status


def gpu_sync():
    import cupy
    cupy.cuda.Device().synchronize()


def to_device(pages):
    import cupy
    return cupy.asarray(pages)


def to_host(array):
    return array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else array


def first_calls(engines, pages, progress, gpu_errors):
    """Seconds of the first compress and decompress of each engine (numba compiles then).

    Measured on a few pages, before anything else runs.  A GPU engine whose first call
    fails is reported in ``gpu_errors`` and left out; returns ``(times, engines)``.
    """
    sample = pages[:FIRST_CALL_PAGES]
    times = {}
    kept = []
    for engine in engines:
        progress(f"first call (compiles unless numba's on-disk cache has it): {engine.label}")
        comp = engine.compressor
        sync = gpu_sync if engine.resident else (lambda: None)
        try:
            data = to_device(sample) if engine.resident else sample
            t_c, batch = timed_call(lambda: (comp.compress(data), sync())[0])
            t_d, _ = timed_call(lambda: (comp.decompress(batch), sync())[0])
        except Exception as exc:
            if not engine.key.startswith("gpu"):
                raise
            error = f"{type(exc).__name__}: {exc}"
            progress(f"{engine.label}: first call FAILED: {error}")
            gpu_errors.append({"source": None, "engine": engine.key, "error": error})
            continue
        times[engine.key] = {"compress_s": t_c, "decompress_s": t_d}
        kept.append(engine)
    return times, kept
