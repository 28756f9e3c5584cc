"""Compile every CUDA kernel for a GPU without one, and report what each uses.

    python -m bench.ptx_check [--cc 9.0]

numba-cuda compiles a kernel to PTX through NVVM, which the wheels of the ``ptx`` extra
bring (``pip install -e '.[ptx]'``: nvidia-nvvm, nvidia-cuda-nvrtc, and nvidia-cuda-nvcc
for ptxas).  ptxas then assembles the PTX for the chip and reports registers, stack
(local memory) and shared memory per kernel.

This catches what the CUDA simulator cannot: the simulator runs kernels as Python, so
code that numba cannot type for a GPU passes there and fails on the first real launch
(an array shape that is a module attribute rather than a compile-time constant did,
2026-11-26); it has no limit on static shared memory (48 KiB per block); and its bit
scans count 32 bits whatever the operand's width (``WIDE_BIT_SCAN``).

It also gives each kernel's resident blocks per SM at the thread count the backend
launches it with, and what bounds them: the block kernels run serial phases (one
warp, one thread) that leave an SM idle unless other pages are resident beside them.
"""

import argparse
import contextlib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types

STATIC_SHARED_LIMIT = 48 * 1024
# clz and brev of 64-bit operands: the kernels scan 32-bit words (lane masks, bitmap
# words) through ``kernels/bits.py``, and a 64-bit scan of one, which numba's widened
# arithmetic gives and the simulator cannot tell apart, counts 32 bits too many.
WIDE_BIT_SCAN = re.compile(r"\b(?:clz|brev)\.b64\b")


# Per-SM limits of the CUDA programming guide's table of compute capabilities (8.0 and
# 9.0): registers, threads, blocks, shared memory; registers are allocated per warp in
# units of 256, shared memory in units of 128 bytes plus 1 KiB the system reserves per
# block.
SM_LIMITS = {(8, 0): dict(registers=65536, threads=2048, blocks=32, shared=167936),
             (9, 0): dict(registers=65536, threads=2048, blocks=32, shared=233472)}
RESERVED_SHARED = 1024


def blocks_per_sm(registers, shared_bytes, threads, cc):
    """``(resident blocks per SM, the limit that binds)`` for a kernel, or None for a
    compute capability without a row in ``SM_LIMITS``."""
    limits = SM_LIMITS.get(cc)
    if limits is None:
        return None
    warps = -(-threads // 32)
    warp_registers = -(-max(registers, 1) * 32 // 256) * 256
    block_shared = -(-shared_bytes // 128) * 128 + RESERVED_SHARED
    bounds = {"registers": limits["registers"] // warp_registers // warps,
              "threads": limits["threads"] // (32 * warps),
              "blocks": limits["blocks"],
              "shared memory": limits["shared"] // block_shared}
    limit = min(bounds, key=bounds.get)
    return bounds[limit], limit


def unavailable_reason():
    """Why kernels cannot be compiled here (None when they can)."""
    try:
        from numba import config
        if config.ENABLE_CUDASIM:
            return "NUMBA_ENABLE_CUDASIM is set: the simulator compiles nothing"
        from numba.cuda.cudadrv.nvvm import NVVM
        NVVM()
    except Exception as exc:  # numba-cuda or NVVM missing, or NVVM not loadable
        return f"NVVM is not available ({exc!r:.120}); install the ptx extra"
    return None


@contextlib.contextmanager
def compute_capability(cc):
    """numba-cuda (0.30) asks the driver for the current device's compute capability
    when it compiles a device function; without a GPU there is no driver to ask."""
    import numba.cuda.dispatcher as dispatcher

    held = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=cc)
    try:
        yield
    finally:
        dispatcher.get_current_device = held


def kernels():
    """``(name, kernel, argument types, threads per block)`` of every kernel the GPU
    backend launches."""
    import numpy as np

    if not hasattr(np, "row_stack"):  # see gpuacomp/backends/gpu.py
        np.row_stack = np.vstack
    from numba import types as t

    from gpuacomp.backends.gpu import FEW_PAGES_THREADS, default_threads
    from gpuacomp.kernels import deflate_cuda, deflate_encode, lz4_cuda

    threads = default_threads(simulator=False)
    few = FEW_PAGES_THREADS
    pages, data = t.Array(t.uint8, 2, "C"), t.Array(t.uint8, 1, "C")
    lengths, wide = t.Array(t.int32, 1, "C"), t.Array(t.int64, 1, "C")
    # (pages, page_size, out, slot, lengths, max_candidates, lazy, last phase or mode)
    compress = (pages, t.int64, data, t.int64, lengths, t.int64, t.int64, t.int64)
    decompress = (data, wide, wide, pages, wide)
    lz4_compress, lz4_decompress = lz4_cuda.build(threads)
    deflate_pages, inflate_pages = deflate_cuda.build()
    per_page = deflate_cuda.THREADS
    return [
        ("lz4 compress (block per page)", lz4_compress, compress, threads),
        ("lz4 compress (block, segments)", lz4_cuda.build(threads, segments=True)[0], compress,
         threads),
        ("lz4 compress (few pages)", lz4_cuda.build(few)[0], compress, few),
        ("lz4 decompress (thread per page)", lz4_decompress, decompress,
         lz4_cuda.DECODE_THREADS),
        _decoder("lz4 decompress (warp per page)", decompress),
        _decoder("lz4 decompress (8 lanes a page)", decompress, **lz4_cuda.DECODER),
        ("deflate fixed (block per page)",
         deflate_cuda.build_block(deflate_encode.FIXED, threads), compress, threads),
        ("deflate fixed (block, segments)",
         deflate_cuda.build_block(deflate_encode.FIXED, threads, segments=True), compress,
         threads),
        ("deflate fixed (few pages)", deflate_cuda.build_block(deflate_encode.FIXED, few),
         compress, few),
        ("deflate dynamic (block per page)",
         deflate_cuda.build_block(deflate_encode.DYNAMIC, threads), compress, threads),
        ("deflate (thread per page)", deflate_pages, compress, per_page),
        ("inflate", inflate_pages, decompress, per_page),
    ]


def _decoder(name, signature, **options):
    """A row of ``kernels()`` for ``lz4_cuda.build_warp_decoder(**options)``."""
    from gpuacomp.kernels import lz4_cuda

    kernel, _, threads = lz4_cuda.build_warp_decoder(**options)
    return name, kernel, signature, threads


def find_ptxas():
    """The wheel's ptxas first: it reads the PTX version of the wheel's NVVM, which a
    system CUDA's older ptxas may not."""
    try:
        import nvidia
        for root in nvidia.__path__:
            for path in glob.glob(os.path.join(root, "*", "bin", "ptxas")):
                return path
    except ImportError:
        pass
    return shutil.which("ptxas")


def resources(ptx, cc, ptxas, max_registers=None):
    """ptxas's report for ``ptx``: registers, stack_bytes, shared_bytes, spill_bytes;
    ``max_registers`` caps the registers as the kernel's own ``max_registers`` does."""
    cap = [] if max_registers is None else [f"--maxrregcount={max_registers}"]
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "kernel.ptx")
        with open(source, "w") as f:
            f.write(ptx)
        done = subprocess.run([ptxas, f"-arch=sm_{cc[0]}{cc[1]}", "-v", *cap, source,
                               "-o", os.devnull], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ptxas failed: {done.stderr.strip()[:500]}")
    report = done.stderr

    def number(pattern):
        found = re.search(pattern, report)
        return int(found.group(1)) if found else 0

    return dict(registers=number(r"Used (\d+) registers"),
                stack_bytes=number(r"(\d+) bytes stack frame"),
                shared_bytes=number(r"(\d+) bytes smem"),
                spill_bytes=number(r"(\d+) bytes spill stores")
                + number(r"(\d+) bytes spill loads"))


def check(cc=(9, 0)):
    """Compile every kernel; a row per kernel with its resources, or its error."""
    from numba import cuda

    ptxas = find_ptxas()
    rows = []
    with compute_capability(cc):
        for name, kernel, signature, threads in kernels():
            row = dict(kernel=name, threads=threads)
            try:
                ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=cc)
                row["wide_bit_scans"] = len(WIDE_BIT_SCAN.findall(ptx))
                if ptxas:
                    cap = kernel.targetoptions.get("max_registers")
                    row.update(resources(ptx, cc, ptxas, cap))
                    resident = blocks_per_sm(row["registers"], row["shared_bytes"], threads,
                                             cc)
                    if resident:
                        row["blocks_per_sm"], row["bound_by"] = resident
            except Exception as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
            rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cc", default="9.0", help="compute capability (default 9.0, Hopper)")
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason:
        print(f"ptx_check: {reason}", file=sys.stderr)
        return 2
    cc = tuple(int(part) for part in args.cc.split("."))
    rows = check(cc)
    failed = False
    for row in rows:
        if "error" in row:
            failed = True
            print(f"{row['kernel']:34s} FAILED: {row['error'][:800]}")
        elif "registers" in row:
            over = row["shared_bytes"] > STATIC_SHARED_LIMIT
            failed |= over
            resident = (f", {row['blocks_per_sm']:2d} blocks/SM of {row['threads']:3d} threads"
                        f" ({row['bound_by']})" if "blocks_per_sm" in row else "")
            print(f"{row['kernel']:34s} {row['registers']:3d} registers, "
                  f"{row['stack_bytes']:6d} B stack, {row['shared_bytes']:6d} B shared"
                  f"{' (over 48 KiB)' if over else ''}, {row['spill_bytes']} B spilled"
                  f"{resident}")
        else:
            print(f"{row['kernel']:34s} compiled (no ptxas for the resource report)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
