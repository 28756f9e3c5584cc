"""Where batches run.  ``load`` builds the backend that ``gpuacomp.device`` chose."""


def load(name, threads=None):
    if name == "cpu":
        from gpuacomp.backends.cpu import CPUBackend
        return CPUBackend(threads)
    from gpuacomp.backends.gpu import GPUBackend
    return GPUBackend(simulator=(name == "gpu-sim"))
