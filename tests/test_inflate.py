"""Our raw DEFLATE decoder against zlib: everything zlib writes for a page decodes to the
same bytes, and on any input, valid or not, ours agrees with zlib (same bytes, or an
error status where zlib fails), never reading or writing out of bounds."""

import random
import zlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

from bench.fuzz import wide_header_page
from bench.fuzz.deflate import agrees, passes_capacity_before_error, zlib_verdict
from gpuacomp.backends.inflate import inflate, inflate_batch
from gpuacomp.device import simulator_enabled

PAGE = 4096
EINVAL, EOVERFLOW = -22, -75


def agree(block, capacity=PAGE):
    verdict, ours = zlib_verdict(block, capacity), inflate(block, capacity)
    assert agrees(block, capacity, verdict, ours), (block.hex(), capacity, verdict, ours)


def deflate(data, level=6, wbits=15, strategy=zlib.Z_DEFAULT_STRATEGY, mem_level=8):
    stream = zlib.compressobj(level, zlib.DEFLATED, -wbits, mem_level, strategy)
    return stream.compress(data) + stream.flush()


def edge_pages():
    rng = np.random.default_rng(1)
    text = (b"the quick brown fox jumps over the lazy dog; " * 100)[:PAGE]
    return [b"", b"\x00", bytes(PAGE), b"\xa5" * PAGE, text,
            rng.integers(0, 256, PAGE, dtype=np.uint8).tobytes(),
            bytes(rng.integers(0, 4, PAGE, dtype=np.uint8))]


STRATEGIES = [zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_HUFFMAN_ONLY, zlib.Z_RLE,
              zlib.Z_FIXED]


@pytest.mark.parametrize("level", range(10))
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_zlib_setting_decodes(level, strategy):
    for wbits in range(9, 16):
        for page in edge_pages():
            block = deflate(page, level, wbits, strategy)
            assert inflate(block, PAGE) == page, (level, strategy, wbits, len(page))


def sent_lengths(stream):
    """How many literal/length and distance code lengths a dynamic first block sends."""
    header = int.from_bytes(stream[:2], "little")
    assert header >> 1 & 3 == 2, "not a dynamic block"
    return (header >> 3 & 31) + 257, (header >> 8 & 31) + 1


def test_the_widest_dynamic_headers_stay_in_bounds():
    """The decoder's source, run as plain Python on the workspace the CPU backend
    allocates, where numpy checks every index: streams whose dynamic blocks send up to
    all 286 + 30 code lengths decode.  The compiled builds check no index; until
    2026-11-28 the lengths array was 15 entries short, and ``deflate-iaa-dynamic``'s
    pages of real memory wrote past it (``test_fuzz.test_short_fuzz_stays_in_bounds``
    checks the compiled builds)."""
    from gpuacomp import Compressor
    from gpuacomp.backends.inflate import decoder_workspace
    from gpuacomp.kernels import deflate as codec

    page, large = wide_header_page(), wide_header_page(1 << 16)
    ours = Compressor("deflate-iaa-dynamic", device="cpu").compress(page).page(0)
    for data, stream, sent in ((page, ours, (286, 24)), (page, deflate(page), (286, 24)),
                               (large, deflate(large), (286, 30))):
        assert sent_lengths(stream) == sent
        src, out = np.frombuffer(stream, np.uint8), np.zeros(len(data), np.uint8)
        produced = codec.inflate_page(src, len(src), out, len(out), codec.FIXED_TABLES,
                                      *decoder_workspace.py_func())
        assert produced == len(data) and out.tobytes() == data, sent


def test_corpus_pages_decode(corpus):
    pages = corpus.memory(corpus.memory_files()[0])[:128]
    blocks = [deflate(p.tobytes(), 6, 12) for p in pages]
    lengths = np.array([len(b) for b in blocks])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    data = np.frombuffer(b"".join(blocks), np.uint8).copy()
    out, produced = inflate_batch(data, offsets, lengths, PAGE)
    assert (produced == PAGE).all()
    np.testing.assert_array_equal(out, pages)


def test_errors():
    block = deflate(edge_pages()[4])
    assert inflate(block, PAGE - 1) == EOVERFLOW
    assert inflate(block[:len(block) // 2], PAGE) == EINVAL
    assert inflate(b"", PAGE) == EINVAL
    assert inflate(b"\x07", PAGE) == EINVAL  # block type 3
    assert inflate(b"\x01\x05\x00\xfa\xff", PAGE) == EINVAL  # stored: LEN != ~NLEN
    assert inflate(block + b"trailing", PAGE) == edge_pages()[4], "bytes after the end are unused"


def test_every_truncation_and_byte_flip_agrees_with_zlib():
    rng = random.Random(7)
    for page in edge_pages()[2:]:
        for strategy in (zlib.Z_DEFAULT_STRATEGY, zlib.Z_FIXED):
            block = deflate(page, 6, 12, strategy)
            for end in range(len(block)):
                agree(block[:end])
            for _ in range(300):
                mutated = bytearray(block)
                mutated[rng.randrange(len(block))] ^= 1 << rng.randrange(8)
                agree(bytes(mutated))
                agree(bytes(mutated), capacity=rng.randrange(PAGE))


@given(st.binary(max_size=400))
def test_random_bytes_agree_with_zlib(block):
    agree(block)


@given(st.binary(min_size=1, max_size=PAGE), st.data())
def test_edited_streams_agree_with_zlib(page, data):
    block = bytearray(deflate(page, data.draw(st.integers(0, 9)),
                              strategy=data.draw(st.sampled_from(STRATEGIES))))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(block) - 1))
        block[at] = data.draw(st.integers(0, 255))
    agree(bytes(block))


@pytest.mark.sim
@pytest.mark.skipif(not simulator_enabled(),
                    reason="runs the CUDA kernel in numba's simulator (NUMBA_ENABLE_CUDASIM=1)")
def test_the_same_decoder_as_a_cuda_kernel():
    from gpuacomp.kernels import deflate_cuda
    _, kernel = deflate_cuda.build()
    zeros, same, text, noise = edge_pages()[2:6]
    pages = [zeros, same, text, wide_header_page(), text, noise[:1024] * 4]
    # Level 6 gives each page's own codes (the fourth's sends 286 + 24 code lengths, into
    # the thread's local array: the simulator checks its bounds); Z_FIXED the fixed ones
    # (which the kernel's block keeps in shared memory): literals of 8 and 9 bits,
    # lengths, distances.
    blocks = [deflate(p, 6, 12) for p in pages[:4]]
    blocks += [deflate(p, 6, 12, zlib.Z_FIXED) for p in pages[4:]]
    assert [b[0] >> 1 & 3 for b in blocks] == [2, 2, 2, 2, 1, 1]  # the block types
    blocks += [b"\xff\xff\xff", deflate(text)[:20]]
    lengths = np.array([len(b) for b in blocks], np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    data = np.frombuffer(b"".join(blocks), np.uint8).copy()
    out = np.zeros((len(blocks), PAGE), np.uint8)
    produced = np.zeros(len(blocks), np.int64)
    kernel[1, deflate_cuda.THREADS](data, offsets, lengths, out, produced)
    assert list(produced) == [PAGE] * 6 + [EINVAL, EINVAL]
    for i, page in enumerate(pages):
        assert out[i].tobytes() == page, f"page {i}"


def test_found_by_the_fuzzer_an_error_after_the_output_is_full():
    # zlib found this stream's invalid distance code after writing 463 bytes; with
    # room for 462 ours reports the overflow first.  Both are failures; with room for
    # the whole output it must be the error (bench.fuzz, seed 1, case 729489).
    block = bytes.fromhex(FUZZ_729489)
    assert passes_capacity_before_error(block, 462)
    assert not passes_capacity_before_error(block, 463)
    assert inflate(block, 462) == EOVERFLOW
    assert inflate(block, PAGE) == EINVAL and zlib_verdict(block, PAGE) == EINVAL
    assert agrees(block, 462, zlib_verdict(block, 462), inflate(block, 462))


def test_found_by_the_fuzzer_a_long_match_then_a_bad_code_in_one_byte():
    # A fixed block's runs fill more than 9 bytes, then a distance code zlib refuses
    # (30 or 31) follows within the same input byte; fed a byte at a time, zlib drops
    # that byte's output with the error, which once hid that it had passed the capacity
    # (bench.fuzz, seed 2026, case 42995).
    block = bytes.fromhex("edd0811000000003217f90f79cc7ae142a0c183060c0800103060c183060c0"
                          "8081f73901")
    assert zlib_verdict(block, PAGE) == EINVAL and inflate(block, PAGE) == EINVAL
    assert passes_capacity_before_error(block, 100)
    assert inflate(block, 9) == EOVERFLOW
    assert agrees(block, 9, zlib_verdict(block, 9), inflate(block, 9))


FUZZ_729489 = (
    "b31088116500820f2e96601a06763843f8ca8c0c0c40c470e15f348a3c2323234cae9e81e12eff4b"
    "460e0605a07801c37ffe02247536dc3628fad0c18e7f1660f91dff21e6efe087b8e7008c0fa53f40"
    "c5058eddf4b906b471c123080d038a82109a034af382dcc228cdc07f977f1b7f177f3e7f10bf36df"
    "2fbeeb7c9bf866f115f385f159f249f17ee6bdcd7b8477296f1b6f2eaf0daf24cf0b9e833cb3786a"
    "791278ac7944b8df735fe09ecf5dc11dcd6dc2cdc1f58c6b35d704ae52ae082e6b2e7ece0f9c9739"
    "9773367026727a72ca72fce678c4b19d630647314708872d871c073bfb23f66decd3d973d8fdd995"
    "d919d9eeb31d635bc2d6c396cfe6cca6c0c6cafa88f538eb0ad666d60c5657562d967f2ccf584eb3"
    "ac63e967c965b16251626160bec7bc9db99bb9883980d982599e9981e931d311a6e570394cbe4c26"
    "4c828c3f196f316e679cc558cfe807f420e940bfa9d58a85d9979da16967727e6e41516a71312eda"
    "fe6ad18a96800919ba4dad962ccc9e402d3bb2538bf252737091f6274424163e4eeb106f6ab56061"
    "96056ad89e945a9208c2f6339a9eef74563920d9d46acec2ac0894da96969f93990f26ecef9cdba3"
    "cf57b945bea9d58c85591728b9b5b83cb10019dbef9bc6f3ed8f54877453ab290bb32a50c91698d1"
    "60e39f07374fae55d217696a35616116074a6f86987ccd712343d38f1740938d21266fc230f9058b"
    "f4e499fb8b459b5a8d589825814a3626a717e59716d8df3eb163e9c22fe780561a42acdc80e2d9eb"
    "ff4d2a59c47f9837b51ab030c702a5d7130a5078c0be30ae39a462f6011818fa90c058979e989b9b"
    "0826ec5fcaf7e9df4b6d025aab07b1762d8a739ffd2808db736b1e50af2e44ef1aa480bc57a21194"
    "e3f209a85707a27735c42f501fbdd638a8e6f52803e8556d8857574125de5d9bb27521eb1f60f069"
    "41826f655262497286fdab35db79a77c33936b6ad56461d6068aaf4849cd29494410f60f93ae4549"
    "3395008dd48018b91c6ae49398b906714c5b359a5ad55998ed8112cb12730a3212b111f66f6edd58"
    "eaa0efa3dcd4aac6c26c0a54bb14abb2976e9dafbf7e6c04ba4615e29a2508af43fcff48e38e34fb"
    "1c1ba00a15888ac5e8ee3d9831fd8b624807d0a7ca109f2e8288bfd8a6dbbdf3f62e60f65082648f"
    "850463f1d1843fafb6a5a4002d538458b600dd39777836644f9eb102181d0a90e8985f90989e0ac3"
    "f68f937555bdcef001a3521e1295f3903cfb20e5a1ce738e08605e9283e4a5b98814fb7ed1f58673"
    "9e403fc842fc3007a26559789d7fe4fa0dc020978104f96c34072139eda19bea7a1b013ea0f1d210"
    "e367218ccfcbbab56ad609609e9182e49999c8ae06bbfc814d76a4ddff10a06e4988ee1970ddef95"
    "1672efff19acd8d42ac1c26c08949a8e9c04a189e350dcb99adaff4b8001230e0998692869fcd555"
    "39c90bde6f81c68b418c9f0a0ff477c91d7be32faf043a4e14e2b829188ebb32437007f7610da06e"
    "1188eec9f062e2ad9f8feb5edf3940ddc210dd93904b11b092f741876747cf990c0c442148204ec4"
    "9d6e2fdfba3fad64630630020521113801291f5f8e7a2d7e99990b184b029058ea8784fcf3e7df36"
    "3f4cdf0a4c36fc9064d307ce6b08c2fe99dd527edbf71cc03cc507c953bdd022e7a2fafd67dcec1b"
    "805a79215a7bd05d7428a44bf3de1a1fa00a1e888a6ef4883f611bcb6af1c906e83f6e88ffbad0b2"
    "0852667917f4c3e06a4531d07f5c10ff752219742ec28e718e428e7a532b270bb32d50b223373537"
    "bfa81293b47f7fbcddb0faf06f60747340a2bb1d25c8dfc41f556d0e3f0e74123bc4496db8d3ed86"
    "bcb3c15fc26e0093171b2479b562495e6f9372320ca76d166e6a65656116052a6a0127ab5be25937"
    "0536e9019dc1027146338a2b5f15656fdc133e1da88b19a2ab09acab65e78e2d799c0d405d4c105d"
    "8d286975e14ee5aa574c0a400731421cd480c5418f3c227ffe4cf80734830162463d4a00ac5955bf"
    "c7b8f4837a534b3d2428eb30cd809974e7b2eb61899ba24d2d7590b4510b75fdeda04f0c2249c0d2"
    "a8a51612f335e869e36ea273e3faaf97349a5a6a20c15c8d3be6af24b2d83179ed13696aa98624de"
    "2a68e5d4e7cf91758041baa9a50ae2914a94acf73c2de7973adb31e5a6964a48415e8196b62109fc"
    "864860e8ffad51409754405c528ea7a0ca7db3b25f545cb2a9a51c9206cb90bcf4d66aa98c4dff44"
    "a073ca20ce294509d70b97ffbc13e64a01da530ab1a704775e7e77e8d6f774cd58a03d25107b8a91"
    "1c71fda04acccb1c29a0643144b20829a3dfb2facb3771c91ef1a696224879530877c0b3c9355aa9"
    "2dca40a942881422dd1c5df1748a0f8b8a79534b01a4f9904f74f3e199eca407612ff881519d0f89"
    "ea3cf4407b935fe594795f12e8f13c88c7737147f5a3de6b7eae9e1dc038cb85c4590e5665c77564"
    "6637ce620006410e2408b29102ef666fd9f9a31d664033b2216664a197cae0e4f1f42b9fe0c75f6c"
    "ba4d2d59900665268106e5defd29e7962b0900e3371312bf192899e1395b78b5a6ff41c5a6960c48"
    "de4bc752f89c2bc90fd371ad01ba2d1de2b634ac69f2d20f3fedfa7b2540b3d22066a56271cfca53"
    "7e2d19ee05c040488504420a52081d2e73d869ead600944c8148262325924b0bfc9728cdc901ba22"
    "19e28a24aca1bcf1ea24fbc922094065491065895833c51345ad778b92fb8101990809c8045c0506"
    "34a40ede4bf1faf2c142bea9250152f1c563547ccfd6cddf1456ba1068663cc4cc3802663e7ab5f9"
    "db15dbbbc0a2280e5214c54243fc8d98146762ee4d60acc542622d062515bc7e115fb94fcc18281d"
    "03918e4671c7438f56f6b85b27859b5aa221c570145878d7d17ecfd55a0780255214a4448a84c4db"
    "930beb021cca9c8121160909b108ac01bb3c9f9b73e5cd05404b23209686a3f8e576e0873bcb2342"
    "8071170e89bb3024bd0fba858f762ad70125c32092a14811bb60bf8945909f02d0fe5088fd215893"
    "d7d30b0dabaff52e073a3f04e2fc60484c1eeddc1d2abdb10098ec8221c92e084b12de7989f7f3c2"
    "c702c0d80b82c45e2046d6bab7559d69fdb11dc0d80b84c45e0081d8dbf7e2d35400"
)
