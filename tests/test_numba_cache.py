"""numba's on-disk cache of the CPU drivers follows edits of ``kernels/``
(``gpuacomp.backends.numba_cache``).  The edit is made to a copy of the package, laid
out as an installed one, in fresh interpreters, so the cache under test is the copy's."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from gpuacomp.backends import numba_cache

REPO = Path(__file__).resolve().parents[1]

# cpu.link_page, cached with cpu.py, inlines lz4.link_positions: on 64 distinct bytes
# every position's link is the one for "no earlier position".
PROBE = textwrap.dedent("""
    import sys
    import numpy as np
    import gpuacomp
    assert gpuacomp.__file__.startswith(sys.argv[1]), gpuacomp.__file__
    from gpuacomp.backends import cpu
    prev = np.zeros(48, np.int32)
    cpu.link_page(np.arange(64, dtype=np.uint8), 64, 48,
                  np.full(cpu.HASH_ENTRIES, -1, np.int32), 0, prev)
    print(sorted(set(prev.tolist())))
""")


def test_digest_covers_every_source(tmp_path):
    folders = [tmp_path / "kernels", tmp_path / "backends"]
    for folder in folders:
        folder.mkdir()
        (folder / "codec.py").write_text("A = 1\n")
    first = numba_cache.sources_digest(folders)
    (folders[1] / "notes.txt").write_text("not a source")
    assert numba_cache.sources_digest(folders) == first
    (folders[1] / "codec.py").write_text("A = 10\n")
    second = numba_cache.sources_digest(folders)
    assert second != first
    (folders[0] / "new.py").write_text("")
    assert numba_cache.sources_digest(folders) != second


def test_the_drivers_are_stamped():
    from gpuacomp.backends import cpu, deflate_cpu, inflate

    assert numba_cache.STAMPED, "numba's cache locators were not found"
    for driver in (cpu._compress_range, deflate_cpu._compress_range, inflate._inflate_range,
                   cpu.encode_page):
        stamp = driver._cache._impl.locator.get_source_stamp()
        assert stamp[1] == numba_cache.sources_digest(), driver


def test_an_edit_of_kernels_recompiles_the_drivers(tmp_path):
    tree = tmp_path / "site"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "gpuacomp", tree / "gpuacomp", ignore=skip)
    shutil.copytree(REPO / "kernels", tree / "gpuacomp" / "kernels", ignore=skip)
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT", "NUMBA_ENABLE_CUDASIM")}
    env["PYTHONPATH"] = str(tree)

    def links():
        result = subprocess.run([sys.executable, "-c", PROBE, str(tree)], env=env,
                                cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout.strip()

    assert links() == "[-1]"
    cached = list((tree / "gpuacomp" / "backends" / "__pycache__").glob("cpu.link_page*.nbi"))
    assert cached, "the driver was not cached, so there was nothing to go stale"
    codec = tree / "gpuacomp" / "kernels" / "lz4.py"
    source = codec.read_text()
    assert source.count("prev[i] = -1\n") == 1
    codec.write_text(source.replace("prev[i] = -1\n", "prev[i] = -7\n"))
    assert links() == "[-7]", "the driver ran the codec it had cached"
