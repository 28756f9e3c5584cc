"""``import gpuacomp`` is light: numba, numba.cuda and CuPy load only when a Compressor
is made (checked in a fresh interpreter, since this one has loaded them already)."""

import json
import subprocess
import sys
import textwrap

HEAVY = ("numba", "numba.cuda", "cupy")


def loaded_after(code):
    """Which of HEAVY are in sys.modules after running ``code`` in a fresh interpreter."""
    script = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_probe_sees_heavy_modules():
    # The check itself can fail: importing numba shows up.
    assert "numba" in loaded_after("import numba")


def test_import_is_light():
    assert loaded_after("import gpuacomp") == []


def test_available_algorithms_is_light():
    assert loaded_after("""
        import gpuacomp
        algorithms = gpuacomp.available_algorithms()
        assert any(a.driver == "lz4-gpuacomp" for a in algorithms)
        gpuacomp.PageBatch, gpuacomp.GPUUnavailableError, gpuacomp.Algorithm
    """) == []


def test_compressor_loads_the_backend():
    # The other side of the lazy import: a CPU Compressor brings numba in, not CuPy.
    loaded = loaded_after("""
        import gpuacomp
        gpuacomp.Compressor(device="cpu")
    """)
    assert "numba" in loaded and "cupy" not in loaded


def test_acomp_facade_is_light():
    # Allocating a transform builds the device, which loads numba; importing does not.
    assert loaded_after("from gpuacomp import acomp; acomp.CRYPTO_TFM_REQ_MAY_BACKLOG") == []
