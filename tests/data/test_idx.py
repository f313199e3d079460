import gzip
import struct

import numpy as np
import pytest

from lamina.data import parse_idx, read_idx, write_idx

DTYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]
CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D, "float64": 0x0E}


def _sample(dtype, shape):
    values = np.arange(int(np.prod(shape))) - 7
    if np.dtype(dtype).kind == "u":
        values = values % 256
    if np.dtype(dtype).kind == "f":
        values = values * 0.37 + 1e-3
    return values.astype(dtype).reshape(shape)


def _idx_bytes(code, dims, body):
    """An IDX file built by hand from the specification, independent of write_idx."""
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + body


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(11,), (3, 4, 5)])
@pytest.mark.parametrize("name", ["x-idx", "x-idx.gz"])
def test_write_then_read_round_trip(tmp_path, dtype, shape, name):
    a = _sample(dtype, shape)
    write_idx(tmp_path / name, a)
    b = read_idx(tmp_path / name)
    assert b.dtype == np.dtype(dtype) and b.shape == shape
    np.testing.assert_array_equal(a, b)
    assert b.flags.writeable and b.dtype.isnative


@pytest.mark.parametrize("dtype", DTYPES)
def test_read_hand_built_big_endian_file(tmp_path, dtype):
    a = _sample(dtype, (2, 3, 4))
    raw = _idx_bytes(CODES[dtype], a.shape, a.astype(np.dtype(dtype).newbyteorder(">")).tobytes())
    (tmp_path / "raw").write_bytes(raw)
    (tmp_path / "zipped").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "raw"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "zipped"), a)


def test_written_file_matches_the_specification_bytes(tmp_path):
    a = np.array([[1, -2], [300, 4]], dtype=np.int16)
    write_idx(tmp_path / "f", a)
    assert (tmp_path / "f").read_bytes() == b"\x00\x00\x0b\x02" + b"\x00\x00\x00\x02" * 2 + \
        b"\x00\x01\xff\xfe\x01\x2c\x00\x04"


def test_gzip_is_detected_by_content_not_name(tmp_path):
    a = _sample("uint8", (5, 28, 28))
    write_idx(tmp_path / "looks-raw-idx3-ubyte", a, compress=True)
    write_idx(tmp_path / "looks-zipped.gz", a, compress=False)
    assert (tmp_path / "looks-raw-idx3-ubyte").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "looks-zipped.gz").read_bytes()[:2] == b"\x00\x00"
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-raw-idx3-ubyte"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "looks-zipped.gz"), a)


def test_gzip_output_is_reproducible(tmp_path):
    a = _sample("float32", (4, 4))
    write_idx(tmp_path / "a.gz", a)
    first = (tmp_path / "a.gz").read_bytes()
    write_idx(tmp_path / "a.gz", a)
    assert (tmp_path / "a.gz").read_bytes() == first


def test_multi_member_gzip_is_read_whole(tmp_path):
    raw = _idx_bytes(0x08, (6,), bytes(range(6)))
    (tmp_path / "f").write_bytes(gzip.compress(raw[:7]) + gzip.compress(raw[7:]))
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), np.arange(6, dtype=np.uint8))


def test_parse_idx_reads_bytes():
    np.testing.assert_array_equal(parse_idx(_idx_bytes(0x0C, (2,), b"\x00\x00\x00\x07\xff\xff\xff\xff")),
                                  np.array([7, -1], dtype=np.int32))


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no file at .*nowhere-idx1-ubyte"):
        read_idx(tmp_path / "nowhere-idx1-ubyte")


def test_bad_magic_names_the_path_and_the_number(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x12\x34\x08\x01" + bytes(8))
    with pytest.raises(ValueError, match=r"bad' is not an IDX file: its magic number is 0x12340801"):
        read_idx(tmp_path / "bad")


def test_unknown_type_code_is_a_bad_magic(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x00\x00\x0a\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match=r"magic number is 0x00000A01.*0x08 uint8"):
        read_idx(tmp_path / "bad")


def test_web_page_instead_of_idx_gets_a_hint(tmp_path):
    (tmp_path / "page").write_bytes(b"<!DOCTYPE html><html>Sign in</html>")
    with pytest.raises(ValueError, match="looks like a web page"):
        read_idx(tmp_path / "page")


def test_truncated_data_says_expected_and_found_bytes(tmp_path):
    write_idx(tmp_path / "full", _sample("int32", (10, 3)))
    raw = (tmp_path / "full").read_bytes()
    assert len(raw) == 4 + 8 + 120
    (tmp_path / "cut").write_bytes(raw[:100])
    with pytest.raises(ValueError, match=r"cut' is truncated: .*\(10, 3\) of int32, so 132 bytes were "
                                         r"expected but 100 were found"):
        read_idx(tmp_path / "cut")


def test_truncated_header(tmp_path):
    (tmp_path / "cut").write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(ValueError, match=r"truncated: its header alone needs 16 bytes but 6 were found"):
        read_idx(tmp_path / "cut")
    (tmp_path / "tiny").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match=r"tiny' is truncated: its header alone needs 4 bytes but 2"):
        read_idx(tmp_path / "tiny")


def test_truncated_gzip_says_expected_and_found_bytes(tmp_path):
    write_idx(tmp_path / "full.gz", _sample("uint8", (300, 28, 28)))
    raw = (tmp_path / "full.gz").read_bytes()
    (tmp_path / "cut.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut.gz' is truncated: .*235216 bytes were expected but \d+ "
                                         r"were found after gunzip; the gzip stream also ends early"):
        read_idx(tmp_path / "cut.gz")


def test_gzip_missing_only_its_trailer_is_damaged(tmp_path):
    write_idx(tmp_path / "full.gz", _sample("uint8", (4, 4)))
    raw = (tmp_path / "full.gz").read_bytes()
    (tmp_path / "cut.gz").write_bytes(raw[:-8])
    with pytest.raises(ValueError, match=r"cut.gz' is a damaged gzip file: the data is complete"):
        read_idx(tmp_path / "cut.gz")


def test_corrupt_gzip_is_reported(tmp_path):
    write_idx(tmp_path / "full.gz", _sample("uint8", (40, 40)))
    raw = bytearray((tmp_path / "full.gz").read_bytes())
    raw[-6] ^= 0xFF  # inside the stored length: the data decodes but the check fails
    (tmp_path / "bad.gz").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"bad.gz' is a damaged gzip file \(.*\)"):
        read_idx(tmp_path / "bad.gz")


def test_extra_bytes_are_reported(tmp_path):
    (tmp_path / "long").write_bytes(_idx_bytes(0x08, (3,), b"\x01\x02\x03\x04\x05"))
    with pytest.raises(ValueError, match=r"long' has 2 bytes past its data: .* 11 bytes were expected but "
                                         r"13 were found"):
        read_idx(tmp_path / "long")


@pytest.mark.parametrize("dtype", ["int64", "bool", "complex64"])
def test_write_rejects_dtypes_idx_cannot_hold(tmp_path, dtype):
    with pytest.raises(ValueError, match=rf"cannot store dtype '{dtype}'.*astype"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=dtype))
    assert not list(tmp_path.iterdir())


def test_write_into_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"the folder .*no-such-dir' does not exist"):
        write_idx(tmp_path / "no-such-dir" / "x-idx", np.zeros(2, dtype=np.uint8))
