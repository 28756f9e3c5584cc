"""Where batches run.  ``load`` builds the backend of an accelerated driver on the device
that ``gpuacomp.device`` chose; ``load_software`` the library behind one of the kernel's
software drivers."""

# The accelerator's drivers that write IAA's deflate, by the Huffman mode they use.
DEFLATE_MODES = {"deflate-iaa": "fixed", "deflate-iaa-dynamic": "dynamic"}


def load(algorithm, name, threads=None):
    """The backend of ``algorithm`` (an accelerated ``Algorithm``) on ``name``: "cpu",
    "gpu" or "gpu-sim"."""
    mode = DEFLATE_MODES.get(algorithm.driver)
    if name == "cpu":
        if mode is not None:
            from gpuacomp.backends.deflate_cpu import DeflateCPUBackend
            return DeflateCPUBackend(mode, threads)
        from gpuacomp.backends.cpu import CPUBackend
        return CPUBackend(threads)
    from gpuacomp.backends.gpu import DeflateKernels, GPUBackend, default_threads
    simulator = name == "gpu-sim"
    kernels = None if mode is None else DeflateKernels(mode, default_threads(simulator))
    return GPUBackend(simulator=simulator, kernels=kernels)


def load_software(algorithm):
    if algorithm.driver == "lz4-generic":
        from gpuacomp.backends.liblz4 import LibLZ4Backend
        return LibLZ4Backend()
    if algorithm.driver == "deflate-generic":
        from gpuacomp.backends.zlib_deflate import ZlibDeflateBackend
        return ZlibDeflateBackend()
    raise ValueError(f"no software backend for {algorithm.driver!r}")
