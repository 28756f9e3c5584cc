"""Compile a codec module's plain-Python functions for one target (CPU or CUDA).

Codec functions call each other by their global names.  Compiling a copy of each
function whose globals map those names to the copies compiled for the same target
lets one source serve both ``numba.njit`` and ``numba.cuda.jit(device=True)``.
"""

import types


def compile_functions(module, names, decorate, uses=None):
    """Return a namespace of ``module``'s functions ``names``, each wrapped by ``decorate``.

    Calls between them resolve to the wrapped versions; other globals (constants,
    numpy) are the module's.  ``uses`` is a namespace this function returned for another
    codec module, compiled for the same target: the functions this one imports from it.
    """
    namespace = dict(vars(module))
    if uses is not None:
        namespace.update(vars(uses))
    for name in names:
        func = getattr(module, name)
        clone = types.FunctionType(func.__code__, namespace, func.__name__,
                                   func.__defaults__, func.__closure__)
        clone.__qualname__ = func.__qualname__
        clone.__module__ = func.__module__
        namespace[name] = decorate(clone)
    return types.SimpleNamespace(**{name: namespace[name] for name in names})
