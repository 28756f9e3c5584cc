"""The kernel's software deflate driver: zlib with crypto/deflate.c's parameters gives the
kernel's own test vectors byte for byte, through both APIs."""

import errno
import zlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import gpuacomp
from gpuacomp import acomp

# crypto/testmgr.h, deflate_comp_tv_template / deflate_decomp_tv_template
# (winbits 11, Z_DEFAULT_COMPRESSION, MAX_MEM_LEVEL).
KERNEL_VECTORS = [
    (b"Join us now and share the software Join us now and share the software ",
     "f3cacfcc53282d56c8cb2f5748cc4b5128ce482c4a5528c9485528ce4f2b290771bc082b0100"),
    (b"This document describes a compression method based on the DEFLATE"
     b"compression algorithm.  This document defines the application of "
     b"the DEFLATE algorithm to the IP Payload Compression Protocol.",
     "5d8d310ec2301004bfb22fc81f10040989c2853f70b12ff824db67d947c1ef49681251ae7667d627"
     "19881ade85ab21f2085d161e20042dadf318a215852d69c4428323b66c89719befcf8b9fcf33ca2f"
     "ed62a94c80ff13af5237ed0e526b5902d94ee87a761d0298fe8a8783a34f568ab89e8e5c57d3a079"
     "fa02"),
]


@pytest.fixture
def tfm():
    # "deflate" names the accelerator's deflate-iaa first; the mask asks for a synchronous
    # driver, as a kernel user of the software driver would.
    tfm = acomp.crypto_alloc_acomp("deflate", 0, acomp.CRYPTO_ALG_ASYNC)
    yield tfm
    acomp.crypto_free_acomp(tfm)


def run(tfm, op, src, capacity):
    req = acomp.acomp_request_alloc(tfm)
    dst = np.zeros(capacity, np.uint8)
    acomp.acomp_request_set_params(req, np.frombuffer(src, np.uint8).copy(), dst, len(src),
                                   capacity)
    err = (acomp.crypto_acomp_compress if op == "compress" else acomp.crypto_acomp_decompress)(req)
    return err, dst[:req.dlen].tobytes()


def test_registered_as_the_kernels_software_deflate(tfm):
    assert acomp.crypto_acomp_driver_name(tfm) == "deflate-generic"
    assert not acomp.acomp_is_async(tfm) and acomp.crypto_acomp_batch_size(tfm) == 1
    driver = next(a for a in gpuacomp.available_algorithms() if a.driver == "deflate-generic")
    assert driver.priority == 100 and driver.name == "deflate"


@pytest.mark.parametrize("plain, packed", KERNEL_VECTORS)
def test_kernel_test_vectors(tfm, plain, packed):
    err, out = run(tfm, "compress", plain, 512)
    assert err == 0 and out == bytes.fromhex(packed)
    err, out = run(tfm, "decompress", bytes.fromhex(packed), 512)
    assert err == 0 and out == plain


def test_errors_are_einval_as_in_crypto_deflate(tfm):
    plain, packed = KERNEL_VECTORS[1]
    assert run(tfm, "compress", plain, 100)[0] == -errno.EINVAL  # does not fit
    assert run(tfm, "decompress", bytes.fromhex(packed), 100)[0] == -errno.EINVAL
    assert run(tfm, "decompress", b"\xff\xff\xff\xff", 4096)[0] == -errno.EINVAL


def test_compressor_pages_decode_with_zlib(corpus):
    pages = corpus.memory(corpus.memory_files()[0])[:64].copy()
    pages[5] = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)
    c = gpuacomp.Compressor("deflate-generic")
    batch = c.compress(pages)
    assert batch.ok and batch.algorithm == "deflate-generic"
    for i in range(len(pages)):
        assert zlib.decompress(batch.page(i), -15) == pages[i].tobytes()
    np.testing.assert_array_equal(c.decompress(batch), pages)
    assert batch.lengths[5] > 4096, "random data grows, within the slot"


@given(st.binary(min_size=1, max_size=4096))
def test_any_page_round_trips(data):
    c = gpuacomp.Compressor("deflate-generic", page_size=len(data))
    batch = c.compress(np.frombuffer(data, np.uint8))
    assert zlib.decompress(batch.page(0), -15) == data
    assert c.decompress(batch)[0].tobytes() == data
