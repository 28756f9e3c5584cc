"""``python -m bench.sass_blocks``: phase 2's machine code, block by block, without a GPU.

Phase 2 of the block-per-page compress kernels (``cuda_block.find_best_matches``: every
position's best match) took two thirds of their time on the H100 and H200.  This
compiles it alone, on a page in shared memory as the kernels hold it, for sm_90 (NVVM,
ptxas), disassembles it (nvdisasm; the ``ptx`` extra brings all three) and prints every
basic block: its instructions, its shared-memory loads and where it branches.  A block
that branches to itself is a loop: the byte or word loop of a comparison, or the walk
over hash collisions.  It does so for each way of comparing bytes (``word_compare``:
four at a time, the default, or one at a time) and of searching (``tight_links``:
``page_words.best_match``, the default, or ``lz4.best_match``; ``tagged_links``: the
former over a chain whose links carry a tag of their keys), so that a change to the
search can be weighed by its instructions before a GPU times it.  bench/RESULTS.md
quotes these tables.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

from bench.ptx_check import compute_capability, find_ptxas, unavailable_reason

THREADS = 256


def phase2_kernel(word_compare, tight_links=True, tagged_links=False):
    """A kernel that runs phase 2 on one page a block, with LZ4's parameters (the chain
    ``prev_links`` tagged as ``cuda_block.build(tagged_links=True)`` makes it, then)."""
    import numpy as np
    from numba import cuda, int16, uint16, uint32

    from gpuacomp.kernels import cuda_block, page_words
    from gpuacomp.kernels.lz4 import GPU_MAX_PAGE_SIZE, LAST_LITERALS, SELECT_CAP

    find_best_matches = cuda_block.build(THREADS, word_compare=word_compare,
                                         tight_links=tight_links,
                                         tagged_links=tagged_links).find_best_matches
    capacity = GPU_MAX_PAGE_SIZE
    best_entries = capacity * 3 // 2  # an offset (uint16) and a length (uint8) a position
    buffer_words = page_words.BUFFER_WORDS
    words = cuda_block.BITMAP_WORDS
    threads = THREADS

    @cuda.jit
    def phase2(pages, prev_links, lengths_out, count, candidates):
        p = cuda.blockIdx.x
        tid = cuda.threadIdx.x
        src = cuda.shared.array(buffer_words, uint32).view(np.uint8)
        prev = cuda.shared.array(capacity, int16)
        best = cuda.shared.array(best_entries, uint16)
        offsets = best[:capacity]
        lengths = best[capacity:].view(np.uint8)
        bits = cuda.shared.array(words, uint32)
        for i in range(tid, capacity, threads):
            src[i] = pages[p, i]
            prev[i] = prev_links[p, i]
        cuda.syncthreads()
        find_best_matches(src, count, prev, capacity - LAST_LITERALS, candidates, SELECT_CAP,
                          capacity, lengths, offsets, bits, tid)
        cuda.syncthreads()
        for i in range(tid, capacity, threads):
            lengths_out[p, i] = lengths[i] + offsets[i]

    return phase2


def disassemble(kernel, cc=(9, 0), signature=None):
    """The kernel's SASS for compute capability ``cc``, as nvdisasm prints it; by default
    for ``phase2_kernel``'s arguments."""
    from numba import cuda, types

    ptxas = find_ptxas()
    nvdisasm = os.path.join(os.path.dirname(ptxas), "nvdisasm") if ptxas else None
    if not nvdisasm or not os.path.exists(nvdisasm):
        raise RuntimeError("no nvdisasm beside ptxas: install the ptx extra")
    if signature is None:
        signature = (types.Array(types.uint8, 2, "C"), types.Array(types.int16, 2, "C"),
                     types.Array(types.int32, 2, "C"), types.int64, types.int64)
    with compute_capability(cc):
        ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=cc)
    with tempfile.TemporaryDirectory() as tmp:
        source, cubin = os.path.join(tmp, "kernel.ptx"), os.path.join(tmp, "kernel.cubin")
        with open(source, "w") as f:
            f.write(ptx)
        subprocess.run([ptxas, f"-arch=sm_{cc[0]}{cc[1]}", source, "-o", cubin], check=True,
                       capture_output=True)
        return subprocess.run([nvdisasm, "-c", cubin], check=True, capture_output=True,
                              text=True).stdout


def basic_blocks(sass):
    """The blocks of nvdisasm's output between labels, in order: dicts of label, first and
    last address, instructions, shared loads (LDS) and those of single bytes
    (``byte_loads``: LDS.U8 or .S8), branch targets (a conditional
    branch's with a leading ``?``), ``body`` (the instructions up to the last branch back
    to the block itself: a loop's step; 0 for other blocks) and ``barriers`` (how many
    block barriers come before the block's first instruction)."""
    blocks = [dict(label="(entry)", first=None, last=None, instructions=0, shared_loads=0,
                   byte_loads=0, branches=[], body=0, barriers=0)]
    barriers = 0
    for line in sass.splitlines():
        label = re.match(r"^(\.L_x_\d+):", line)
        if label:
            blocks.append(dict(label=label.group(1), first=None, last=None, instructions=0,
                               shared_loads=0, byte_loads=0, branches=[], body=0,
                               barriers=barriers))
            continue
        found = re.search(r"/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;", line)
        if not found:
            continue
        block, (address, text) = blocks[-1], found.groups()
        block["first"] = block["first"] or address
        block["last"] = address
        block["instructions"] += 1
        block["shared_loads"] += bool(re.search(r"\bLDS\b", text))
        block["byte_loads"] += bool(re.search(r"\bLDS\.[US]8\b", text))
        barriers += bool(re.search(r"\bBAR\.SYNC\b", text))
        target = re.search(r"\bBRA\b.*?(\.L_x_\d+)", text)
        if target:
            block["branches"].append(("?" if text.startswith("@") else "")
                                     + target.group(1))
            if target.group(1) == block["label"]:
                block["body"] = block["instructions"]
    return blocks


def phase_2(blocks):
    """The blocks between the kernel's first and second barrier: phase 2 itself."""
    return [b for b in blocks if b["barriers"] == 1 and b["instructions"]]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.sass_blocks",
                                     description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    reason = unavailable_reason()
    if reason:
        print(f"sass_blocks: {reason}", file=sys.stderr)
        return 2
    for word_compare, tight_links, tagged in ((True, True, False), (True, True, True),
                                              (True, False, False), (False, False, False)):
        blocks = phase_2(basic_blocks(disassemble(phase2_kernel(word_compare, tight_links,
                                                                tagged))))
        search = "page_words" if word_compare and tight_links else "lz4"
        print(f"\nphase 2, bytes compared {'four' if word_compare else 'one'} at a time, "
              f"{search}.best_match{' over a tagged chain' if tagged else ''} (sm_90): "
              f"{sum(b['instructions'] for b in blocks)} instructions in {len(blocks)} "
              "blocks\n")
        print("| block | addresses | instructions | shared loads (of a byte) | a loop's step "
              "| branches to |")
        print("|---|---|---:|---:|---:|---|")
        for b in blocks:
            print(f"| {b['label']} | {b['first']}-{b['last']} | {b['instructions']} "
                  f"| {b['shared_loads']} ({b['byte_loads']}) | {b['body'] or ''} "
                  f"| {' '.join(b['branches'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
