"""Where batches run.  ``load`` builds the backend that ``gpuacomp.device`` chose;
``load_software`` the library behind one of the kernel's software drivers."""


def load(name, threads=None):
    if name == "cpu":
        from gpuacomp.backends.cpu import CPUBackend
        return CPUBackend(threads)
    from gpuacomp.backends.gpu import GPUBackend
    return GPUBackend(simulator=(name == "gpu-sim"))


def load_software(algorithm):
    if algorithm.driver == "lz4-generic":
        from gpuacomp.backends.liblz4 import LibLZ4Backend
        return LibLZ4Backend()
    if algorithm.driver == "deflate-generic":
        from gpuacomp.backends.zlib_deflate import ZlibDeflateBackend
        return ZlibDeflateBackend()
    raise ValueError(f"no software backend for {algorithm.driver!r}")
