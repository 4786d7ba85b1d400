"""Writes and reads the safety model file (read on the device by Sources/CubbySafetyModel/ModelFile.swift).

Layout: b"CUBBYSM1", a little-endian uint32 header length, the JSON header, zero padding to a multiple
of 64, then the tensors, each starting at a multiple of 64 bytes from there. The header lists every
tensor's name, dtype ("f32", "f16", "u32", "u8"), shape, offset and byte size.
"""
import json
import struct

import numpy as np

MAGIC = b"CUBBYSM1"
_DTYPES = {"f32": np.float32, "f16": np.float16, "u32": np.uint32, "u8": np.uint8}


def pack6(table):
    """Packs 6-bit values (0...63), four to three bytes: v0 | v1 << 6 | v2 << 12 | v3 << 18, little-endian."""
    t = table.astype(np.uint32).reshape(table.shape[0], -1, 4)
    packed = t[..., 0] | t[..., 1] << 6 | t[..., 2] << 12 | t[..., 3] << 18
    out = np.empty(packed.shape + (3,), dtype=np.uint8)
    out[..., 0] = packed & 0xFF
    out[..., 1] = (packed >> 8) & 0xFF
    out[..., 2] = (packed >> 16) & 0xFF
    return out.reshape(table.shape[0], -1)


def strings(items):
    """(bytes, offsets) for a list of byte strings."""
    offsets = np.zeros(len(items) + 1, dtype=np.uint32)
    np.cumsum([len(b) for b in items], out=offsets[1:])
    return np.frombuffer(b"".join(items), dtype=np.uint8), offsets


def write(path, header, tensors):
    """tensors: list of (name, dtype, array)."""
    table, blobs, offset = [], [], 0
    for name, dtype, array in tensors:
        a = np.ascontiguousarray(array, dtype=_DTYPES[dtype])
        data = a.astype(a.dtype.newbyteorder("<")).tobytes()
        table.append({"name": name, "dtype": dtype, "shape": list(a.shape), "offset": offset, "bytes": len(data)})
        blobs.append(data)
        offset += (len(data) + 63) // 64 * 64
    head = json.dumps({**header, "tensors": table}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    start = (12 + len(head) + 63) // 64 * 64
    with open(path + ".tmp", "wb") as f:
        f.write(MAGIC + struct.pack("<I", len(head)) + head + b"\0" * (start - 12 - len(head)))
        for entry, data in zip(table, blobs):
            f.write(data + b"\0" * ((len(data) + 63) // 64 * 64 - len(data)))
    import os
    os.replace(path + ".tmp", path)


def read_header(path):
    with open(path, "rb") as f:
        data = f.read(1 << 20)
    assert data[:8] == MAGIC, "not a Cubby safety model file"
    (length,) = struct.unpack("<I", data[8:12])
    return json.loads(data[12:12 + length])
