"""Page sources: live capture, synthetic pages, files, and the default's fallback."""

import hashlib
import logging
import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from gpuacomp import sources
from gpuacomp.sources import (PAGE_SIZE, PageSource, capture_process_pages, default_pages,
                              file_pages, live_process_pages, synthetic_pages)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def _pagemap_readable():
    if not sys.platform.startswith("linux"):
        return False
    try:
        with open("/proc/self/pagemap", "rb") as f:
            f.read(8)
    except OSError:
        return False
    return True


needs_proc = pytest.mark.skipif(not _pagemap_readable(),
                                reason="needs Linux with a readable /proc/self/pagemap")


def _check_pages(pages, page_size=PAGE_SIZE):
    assert isinstance(pages, np.ndarray)
    assert pages.dtype == np.uint8
    assert pages.ndim == 2 and pages.shape[1] == page_size
    assert pages.flags.c_contiguous


# --------------------------------------------------------------------------- PageSource

def test_page_source_len_and_validation():
    src = PageSource("x", np.zeros((3, 16), np.uint8), "test")
    assert len(src) == 3 and src.page_size == 16
    assert "3 x 16" in repr(src)
    strided = PageSource("s", np.zeros((4, 32), np.uint8)[:, ::2], "test")
    _check_pages(strided.pages, 16)
    with pytest.raises(ValueError, match="2-D uint8"):
        PageSource("bad", np.zeros((3, 16), np.int32), "test")
    with pytest.raises(ValueError, match="2-D uint8"):
        PageSource("bad", np.zeros(16, np.uint8), "test")


# ---------------------------------------------------------------------------- synthetic

def test_synthetic_shape_and_determinism():
    a = synthetic_pages(2000, seed=7)
    _check_pages(a.pages)
    assert len(a) == 2000 and a.name == "synthetic" and "seed 7" in a.origin
    assert np.array_equal(a.pages, synthetic_pages(2000, seed=7).pages)
    assert not np.array_equal(a.pages, synthetic_pages(2000, seed=8).pages)
    # The first pages do not depend on how many were asked for.
    assert np.array_equal(a.pages[:1500], synthetic_pages(1500, seed=7).pages)


def test_synthetic_fixed_bytes():
    # Same seed, same bytes on every machine: pin a digest so a platform or numpy
    # difference shows up here rather than as drifting benchmark numbers.
    digest = hashlib.sha256(synthetic_pages(64, seed=0).pages.tobytes()).hexdigest()
    assert digest == "9c03cc224821f866965a9adae04c7cc0bec200f995f81b7aea0acd1a5e757394"


def test_synthetic_mix_of_kinds():
    pages = synthetic_pages(2000, seed=0).pages
    zero = ~pages.any(axis=1)
    words = pages.view("<u8")
    same_word = (words == words[:, :1]).all(axis=1) & ~zero
    # Byte variety alone does not tell random pages from pointer-rich heap pages;
    # not compressing does.
    incompressible = np.array([len(zlib.compress(p.tobytes(), 1)) >= PAGE_SIZE
                               for p in pages])
    for mask, share in ((zero, 0.10), (same_word, 0.10), (incompressible, 0.10)):
        assert 0.6 * share < mask.mean() < 1.5 * share
    # Most pages are neither trivial nor random: compressible but not constant.
    middle = ~zero & ~same_word & ~incompressible
    assert middle.mean() > 0.6
    distinct = np.array([len(np.unique(p)) for p in pages[middle]])
    assert (distinct > 16).mean() > 0.5


def test_synthetic_edge_sizes():
    assert synthetic_pages(0).pages.shape == (0, PAGE_SIZE)
    odd = synthetic_pages(50, seed=1, page_size=1000)
    _check_pages(odd.pages, 1000)
    with pytest.raises(ValueError, match="seed"):
        synthetic_pages(4, seed=-1)
    with pytest.raises(ValueError, match="page_size"):
        synthetic_pages(4, page_size=0)
    with pytest.raises(ValueError, match="max_pages"):
        synthetic_pages(-1)


# -------------------------------------------------------------------------------- files

def test_file_pages_pads_last_page(tmp_path):
    data = np.random.default_rng(0).integers(0, 256, 10000, dtype=np.uint8)
    path = tmp_path / "blob.bin"
    data.tofile(path)
    (src,) = file_pages(path)
    _check_pages(src.pages)
    assert src.name == "blob.bin" and len(src) == 3
    assert src.pages.reshape(-1)[:10000].tobytes() == data.tobytes()
    assert not src.pages.reshape(-1)[10000:].any()
    assert "zero-padded" in src.origin
    (first,) = file_pages(path, max_pages=2)
    assert np.array_equal(first.pages, src.pages[:2])


def test_file_pages_directory(tmp_path):
    for name, size in (("b.bin", 4096), ("a.bin", 8192), ("README.md", 100),
                       ("COPYING", 100), ("LICENSE.txt", 100), (".hidden", 100),
                       ("empty.bin", 0)):
        (tmp_path / name).write_bytes(bytes([len(name)]) * size)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.bin").write_bytes(b"x" * 4096)
    found = file_pages(tmp_path)
    assert [(s.name, len(s)) for s in found] == [("a.bin", 2), ("b.bin", 1)]
    assert "padded" not in found[0].origin


def test_file_pages_missing(tmp_path):
    missing = tmp_path / "no-such-file"
    with pytest.raises(FileNotFoundError, match="no-such-file"):
        file_pages(missing)


@pytest.mark.skipif(not (CORPUS / "memory").is_dir(), reason="page corpus not present")
def test_corpus_memory():
    found = file_pages(CORPUS / "memory")
    assert [s.name for s in found] == ["node-heap.pages", "python-heap.pages"]
    for src in found:
        _check_pages(src.pages)
        assert len(src) == 3072


# ------------------------------------------------------------------------- live capture

@needs_proc
def test_capture_self():
    pages = capture_process_pages(os.getpid(), max_pages=256)
    _check_pages(pages)
    assert 0 < len(pages) <= 256
    assert pages.any()
    small = capture_process_pages(os.getpid(), max_pages=64, page_size=1024, seed=1)
    _check_pages(small, 1024)
    assert 0 < len(small) <= 64


@needs_proc
def test_live_workload():
    src = live_process_pages(max_pages=512)
    _check_pages(src.pages)
    assert 0 < len(src) <= 512
    assert src.pages.any()
    pid = src.origin.split()[2]
    assert src.origin.startswith(f"live process {pid} ") and pid.isdigit()
    # The child is gone (reaped) once the capture returns.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        cmdline = b""
    assert sources.WORKLOAD.encode() not in cmdline


@needs_proc
def test_capture_missing_process():
    with pytest.raises(ProcessLookupError, match="no such process"):
        capture_process_pages(2**22 + 1)  # above the largest pid_max Linux allows


@needs_proc
def test_capture_permission_denied():
    code = ("import os, sys; from gpuacomp.sources import capture_process_pages\n"
            "if os.geteuid() == 0:\n"
            "    os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
            "try:\n    capture_process_pages(int(sys.argv[1]), max_pages=1)\n"
            "except PermissionError as e:\n    print('denied', e)\n")
    # An unprivileged user may not read another user's memory.  Root drops to
    # nobody in the child after startup (nobody may not be allowed to run this
    # Python) and reads this process; anyone else reads init's.
    target = os.getpid() if os.geteuid() == 0 else 1
    result = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True,
                            text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                                [str(Path(sources.__file__).parents[1]),
                                 os.environ.get("PYTHONPATH", "")])))
    out = result.stdout
    if not out.startswith("denied") and result.returncode == 0:
        pytest.skip("this user may read the target's memory (CAP_SYS_PTRACE?)")
    assert out.startswith("denied") and "ptrace" in out


# ------------------------------------------------------------------------------ default

def test_default_pages():
    src = default_pages(max_pages=300)
    _check_pages(src.pages)
    assert 0 < len(src) <= 300


def test_default_pages_falls_back(monkeypatch, caplog):
    monkeypatch.setattr(sources, "WORKLOAD", "raise SystemExit('workload broke')")
    with caplog.at_level(logging.WARNING, logger="gpuacomp"):
        src = default_pages(max_pages=40, seed=3)
    assert len(src) == 40
    assert np.array_equal(src.pages, synthetic_pages(40, seed=3).pages)
    if _pagemap_readable():
        assert "workload broke" in src.origin
    assert src.origin.startswith("synthetic (seed 3); live capture unavailable: ")
    assert any("live page capture unavailable" in r.getMessage() for r in caplog.records)


@needs_proc
def test_workload_timeout_falls_back(monkeypatch):
    monkeypatch.setattr(sources, "WORKLOAD", "import time; time.sleep(30)")
    monkeypatch.setattr(sources, "_READY_TIMEOUT_S", 0.5)
    src = default_pages(max_pages=8)
    assert "not ready" in src.origin and len(src) == 8
