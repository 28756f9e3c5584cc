"""bench.sass_blocks: phase 2's machine code block by block.  The parser runs on a
made-up listing; the compiled checks need NVVM, ptxas and nvdisasm (the ``ptx`` extra)
and skip without them."""

import pytest

from bench import ptx_check, sass_blocks

LISTING = """
        /*0000*/                   MOV R1, c[0x0][0x28] ;
        /*0010*/                   BAR.SYNC.DEFER_BLOCKING 0x0 ;
.L_x_1:
        /*0020*/                   LDS.U8 R2, [R3] ;
        /*0030*/                   LDS R4, [R5+0x4] ;
        /*0040*/                   ISETP.NE.AND P0, PT, R2, R4, PT ;
        /*0050*/              @!P0 BRA `(.L_x_1) ;
        /*0060*/                   BRA `(.L_x_2) ;
.L_x_2:
        /*0070*/                   BAR.SYNC.DEFER_BLOCKING 0x0 ;
.L_x_3:
        /*0080*/                   EXIT ;
"""


def test_blocks_of_a_listing():
    entry, loop, after, last = sass_blocks.basic_blocks(LISTING)
    assert (entry["label"], entry["instructions"], entry["barriers"]) == ("(entry)", 2, 0)
    assert (loop["first"], loop["last"], loop["instructions"]) == ("0020", "0060", 5)
    # the step runs to the branch back; the one after it leaves the loop
    assert (loop["shared_loads"], loop["byte_loads"]) == (2, 1)
    assert (loop["body"], loop["barriers"]) == (4, 1)
    assert loop["branches"] == ["?.L_x_1", ".L_x_2"]
    assert (after["body"], after["barriers"], last["barriers"]) == (0, 1, 2)
    assert sass_blocks.phase_2([entry, loop, after, last]) == [loop, after]


REASON = ptx_check.unavailable_reason()


@pytest.mark.skipif(REASON is not None, reason=REASON or "")
def test_words_take_fewer_instructions_than_bytes():
    try:
        compiled = {words: sass_blocks.phase_2(sass_blocks.basic_blocks(
            sass_blocks.disassemble(sass_blocks.phase2_kernel(words)))) for words in (True, False)}
    except RuntimeError as exc:  # no nvdisasm
        pytest.skip(str(exc))
    loops = {words: [b for b in blocks if b["body"]] for words, blocks in compiled.items()}
    # Four bytes at a time (page_words.best_match): two loops of one block each, the
    # walk over hash collisions (a link and a word of the candidate, the position's own
    # word loaded before) and the comparison (a word of each side a step); bytewise only
    # the comparison (a byte of each side), lz4.best_match's links over several blocks.
    assert [(b["shared_loads"], b["byte_loads"]) for b in loops[True]] == [(3, 0), (2, 0)]
    assert [(b["shared_loads"], b["byte_loads"]) for b in loops[False]] == [(2, 2)]
    walk, words_step = loops[True]
    assert walk["body"] <= 16  # lz4.best_match's took some 37 instructions a link
    # a step of four bytes costs less than two steps of one
    assert words_step["body"] < 2 * loops[False][0]["body"]
    # the key tests load words: the byte loads left are the one-byte test of a
    # candidate that must beat the best, both sides
    assert sum(b["byte_loads"] for b in compiled[True]) == 2
    assert sum(b["byte_loads"] for b in compiled[False]) > 8


@pytest.mark.skipif(REASON is not None, reason=REASON or "")
@pytest.mark.parametrize("options", [{}, dict(lanes=8, shared_output=False, stage_input=False)])
def test_the_warp_decoders_loops_stay_short(options):
    from numba import types

    from gpuacomp.kernels import lz4_cuda

    array = types.Array
    signature = (array(types.uint8, 1, "C"), array(types.int64, 1, "C"),
                 array(types.int64, 1, "C"), array(types.uint8, 2, "C"),
                 array(types.int64, 1, "C"))
    try:
        sass = sass_blocks.disassemble(lz4_cuda.build_warp_decoder(**options)[0],
                                       signature=signature)
    except RuntimeError as exc:  # no nvdisasm
        pytest.skip(str(exc))
    steps = [b["body"] for b in sass_blocks.basic_blocks(sass) if b["body"]]
    # Its copies (lz4_cuda.copy_by_lanes) index with unsigned integers: with numba's
    # signed ones each copy was a loop unrolled four times, 93-109 instructions a step.
    assert steps and max(steps) <= 48
