"""Read a TensorFlow (1.x or 2.x) checkpoint's variables with numpy alone (no TensorFlow).

A checkpoint ``prefix`` is ``prefix.index`` (a LevelDB-style sorted table: tensor name -> BundleEntryProto with
dtype, shape, shard, offset and size) and ``prefix.data-00000-of-00001`` (the raw little-endian tensor bytes).
Only what musicnn's checkpoints use is supported: uncompressed tables, one data shard, plain numeric tensors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: TensorFlow DataType enum -> numpy dtype (the numeric ones).
_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8, 9: np.int64,
           10: np.bool_, 14: np.uint16, 17: np.uint16, 19: np.float16, 22: np.uint32, 23: np.uint64}
_TABLE_MAGIC = 0xDB4775248B80FB57


class CheckpointError(ValueError):
    """The files are not a checkpoint this reader understands."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _proto_fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: ints for varint/fixed fields, bytes for length-delimited."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise CheckpointError(f"unsupported protobuf wire type {wire}")
        out.append((number, value))
    return out


def _block(data: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    """The (key, value) entries of one table block (prefix-compressed keys, restart array at its end)."""
    if data[offset + size] != 0:
        raise CheckpointError("compressed checkpoint index blocks are not supported")
    block = data[offset:offset + size]
    n_restarts = int.from_bytes(block[-4:], "little")
    end = len(block) - 4 - 4 * n_restarts
    entries, pos, key = [], 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        vlen, pos = _varint(block, pos)
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        entries.append((key, block[pos:pos + vlen]))
        pos += vlen
    return entries


def _table(data: bytes) -> list[tuple[bytes, bytes]]:
    if len(data) < 48 or int.from_bytes(data[-8:], "little") != _TABLE_MAGIC:
        raise CheckpointError("not a TensorFlow checkpoint index (bad table magic)")
    footer = data[-48:]
    _, pos = _varint(footer, 0)  # metaindex offset
    _, pos = _varint(footer, pos)  # metaindex size
    index_offset, pos = _varint(footer, pos)
    index_size, pos = _varint(footer, pos)
    entries = []
    for _key, handle in _block(data, index_offset, index_size):
        offset, p = _varint(handle, 0)
        size, _ = _varint(handle, p)
        entries += _block(data, offset, size)
    return entries


def read_checkpoint(prefix: str | Path) -> dict[str, np.ndarray]:
    """Every variable of the checkpoint at ``prefix`` (e.g. ``.../MSD_musicnn/`` whose files are ``.index``...).

    Returns name -> array (copies, in the checkpoint's dtype and shape). Raises CheckpointError for files this
    reader does not understand (sliced or string tensors, several shards, compression).
    """
    prefix = str(prefix)
    index = Path(prefix + ".index").read_bytes()
    base = prefix.replace("\\", "/").rsplit("/", 1)[-1]  # "" for a prefix ending in a slash (musicnn's)
    data_files = sorted(Path(prefix + ".index").parent.glob(base + ".data-*"))
    if len(data_files) != 1:
        raise CheckpointError(f"{prefix}: expected one data shard, found {len(data_files)}")
    raw = data_files[0].read_bytes()
    out: dict[str, np.ndarray] = {}
    for key, value in _table(index):
        if key == b"":  # the BundleHeaderProto
            continue
        fields = _proto_fields(value)
        dtype, shape, shard, offset, size = 1, [], 0, 0, 0
        for number, v in fields:
            if number == 1:
                dtype = int(v)
            elif number == 2:
                shape = [int(d) for n, dim in _proto_fields(v) if n == 2
                         for m, d in _proto_fields(dim) if m == 1]
            elif number == 3:
                shard = int(v)
            elif number == 4:
                offset = int(v)
            elif number == 5:
                size = int(v)
            elif number == 7:
                raise CheckpointError(f"{key.decode()}: sliced tensors are not supported")
        if dtype not in _DTYPES or shard != 0:
            raise CheckpointError(f"{key.decode()}: unsupported dtype {dtype} or shard {shard}")
        array = np.frombuffer(raw[offset:offset + size], dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<"))
        out[key.decode()] = array.reshape(shape).copy()
    return out
