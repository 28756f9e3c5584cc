"""Launches of a numba kernel whose arguments were marshalled once.

A numba launch types its arguments, picks the kernel's overload, and turns each array
into the kernel's parameters (a pointer, its shape and strides...) in Python, every
time: 33 us of an 8-page batch's host time on an H100, where an empty numba launch
takes 18 us and an empty CuPy launch 6 (run 13, 2026-11-27).  A batch from the host
runs on the same kept buffers again and again (``GPUBackend._chunk_buffers``), so its
launch can be marshalled once, by numba's own code, and then only submitted.

This leans on numba-cuda's internals (``_Kernel._prepare_args``, its code library, the
``cuda.core`` launch it calls), which change between its versions: where they are not
as expected, ``prepare`` returns None and the caller launches the usual way.
"""


def prepare(dispatcher, grid, block, stream, args):
    """Launch ``dispatcher[grid, block, stream](*args)``, and return a callable that
    launches it again with the same arguments, or None where numba's internals are not
    the ones this knows.  ``args`` must be device arrays and scalars (nothing to copy
    back) that stay as they are while the callable is in use: it keeps them alive."""
    dispatcher[grid, block, stream](*args)
    try:
        return _Prepared(dispatcher, grid, block, stream, args)
    except Exception:  # another numba-cuda, or a launch that needs more than submitting
        return None


class _NeedsMore(Exception):
    """The launch does more than submit the kernel: it stays numba's."""


class _Prepared:
    def __init__(self, dispatcher, grid, block, stream, args):
        from numba.cuda import dispatcher as numba_dispatcher
        from numba.cuda.cudadrv import driver
        from numba.cuda.typing.typeof import Purpose, typeof

        argtypes = tuple(typeof(a, Purpose.argument) for a in args)
        kernel = dispatcher.overloads[argtypes]  # the overload the launch above used
        if kernel.debug:
            raise _NeedsMore("a debug kernel's error flag is read after each launch")
        if hasattr(driver, "_to_core_stream"):  # (cuda.core deprecates foreign streams)
            stream = driver._to_core_stream(stream)
        parameters, write_back = [], []
        for argtype, arg in zip(kernel.argument_types, args):
            kernel._prepare_args(argtype, arg, stream, write_back, parameters)
        if write_back:
            raise _NeedsMore("host arrays are copied back after each launch")
        self._launch = numba_dispatcher.launch
        self._function = kernel._codelibrary.get_cufunc().kernel
        self._config = _launch_config(numba_dispatcher, grid, block, kernel.cooperative)
        self._stream = stream  # (as numba's launch configuration converts it)
        self._parameters = parameters
        self._args = args  # the buffers behind the parameters' pointers

    def __call__(self):
        self._launch(self._stream, self._config, self._function, *self._parameters)


def _launch_config(numba_dispatcher, grid, block, cooperative):
    """``cuda.core``'s LaunchConfig, as numba's own launch builds it."""
    from numba.cuda._compat import CUDA_CORE_GE_1_0

    cooperation = "is_cooperative" if CUDA_CORE_GE_1_0 else "cooperative_launch"
    return numba_dispatcher.LaunchConfig(grid=grid, block=block, shmem_size=0,
                                         **{cooperation: cooperative})
