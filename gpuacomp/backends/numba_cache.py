"""``njit`` for the CPU drivers: numba's on-disk cache, stamped with every source the
compiled code can hold.

numba stamps a cached function with the contents of the file that defines it.  The
drivers here inline the codecs of ``kernels/`` (and ``host_words``' loads), so after
an edit of ``kernels/lz4.py`` alone ``cpu.py``'s cached driver kept the old codec: a
mutation test's build once survived into a benchmark run.  Functions defined in
``kernels/`` or ``gpuacomp/backends/`` get a stamp that also holds a digest of both
folders' sources, so an edit of any of them recompiles them all.

numba chooses where a function's cache lives by asking its locator classes in turn;
this module puts a stamped subclass of each ahead of the originals.  Those classes are
numba's internals (written against 0.68; earlier releases name their list's holder
``_CacheImpl``, looked up too).  Where they are not found, nothing is stamped
(``STAMPED`` is False and ``tests/test_numba_cache.py`` fails), and an edit of
``kernels/`` needs the cache cleared by hand (README).
"""

import functools
import hashlib
import os

import numba
from numba.core import caching

import gpuacomp.kernels

BACKENDS = os.path.dirname(os.path.abspath(__file__))
KERNELS = os.path.dirname(os.path.abspath(gpuacomp.kernels.__file__))
SOURCE_FOLDERS = (KERNELS, BACKENDS)


@functools.lru_cache(maxsize=None)
def _file_digest(path, mtime_ns, size):
    # (keyed by the stamp too: a file edited while the process runs is read again)
    with open(path, "rb") as source:
        return hashlib.sha256(source.read()).digest()


def sources_digest(folders=SOURCE_FOLDERS):
    """A digest of the ``.py`` files directly in ``folders``: their names and contents."""
    digest = hashlib.sha256()
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                stat = os.stat(path)
                digest.update(name.encode())
                digest.update(_file_digest(path, stat.st_mtime_ns, stat.st_size))
    return digest.hexdigest()


_REAL_FOLDERS = frozenset(os.path.realpath(f) for f in SOURCE_FOLDERS)


class _PackageStamp:
    """A locator for this package's files only, whose stamp adds ``sources_digest``."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if os.path.realpath(os.path.dirname(py_file)) not in _REAL_FOLDERS:
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return super().get_source_stamp(), sources_digest()


def _stamped(locator):
    return type(f"Package{locator.__name__}", (_PackageStamp, locator),
                {"__module__": __name__})


def _install():
    """Put a stamped locator ahead of each of numba's; True if numba took them."""
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    originals = getattr(impl, "_locator_classes", None)
    if not isinstance(originals, list):
        return False
    if not any(issubclass(c, _PackageStamp) for c in originals):
        impl._locator_classes = [_stamped(c) for c in originals] + originals
    return True


STAMPED = _install()

# The drivers take njit from here, so the stamped locators are in place before any of
# their functions is decorated (numba picks a function's locator then).
njit = numba.njit
