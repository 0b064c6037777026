"""tests/reference/safetensors_io.py: a tiny safetensors reader and writer.

Debian has no `safetensors` package, so the PyTorch twin reads and writes
pan checkpoints (docs/model.md, "Checkpoint files") with json + struct:

  u64 LE header_len, header_len bytes of JSON, then the data region.

The header maps each tensor name to {"dtype", "shape", "data_offsets"}
(offsets relative to the data start) and may hold "__metadata__", a map of
strings.

Contract
- write(path, tensors, metadata): `tensors` is a sequence of (name, array)
  pairs (torch tensors or numpy arrays, any float dtype; stored as F32) in
  the order given, contiguous without holes; the header is padded with
  spaces so the data starts at a multiple of 64 bytes; written to
  PATH.tmp.<pid> and renamed over PATH.
- read(path) -> (tensors, metadata): tensors is a dict name -> numpy f32
  array in data-offset order (BF16 widened, exactly), metadata a dict of
  strings. Structural errors (header length, dtype, sizes, holes,
  overlaps, trailing data) raise ValueError naming the file and tensor.
"""
import json
import os
import struct

import numpy

_DTYPE_SIZES = {"F32": 4, "BF16": 2}
_ALIGN = 64


def _as_f32_numpy(value):
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().contiguous().float().numpy()
    return numpy.ascontiguousarray(numpy.asarray(value, dtype="<f4"))


def encode(tensors, metadata=None):
    """The bytes of a safetensors file (see the module comment)."""
    header = {}
    blobs = []
    offset = 0
    for name, value in tensors:
        if name == "__metadata__" or name in header:
            raise ValueError("safetensors: duplicate or reserved tensor name '%s'"
                             % name)
        array = _as_f32_numpy(value)
        blob = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        for key, text in metadata.items():
            if not isinstance(key, str) or not isinstance(text, str):
                raise ValueError("safetensors: metadata must map strings to "
                                 "strings, found %r: %r" % (key, text))
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    padding = (-(8 + len(text))) % _ALIGN
    text += b" " * padding
    return b"".join([struct.pack("<Q", len(text)), text] + blobs)


def write(path, tensors, metadata=None):
    """Writes `tensors` ((name, array) pairs, in order) atomically."""
    data = encode(tensors, metadata)
    temporary = "%s.tmp.%d" % (path, os.getpid())
    try:
        with open(temporary, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def decode(data, where="<bytes>"):
    """(tensors, metadata) from the bytes of a safetensors file."""
    if len(data) < 8:
        raise ValueError("%s: file of %d bytes, expected at least 8"
                         % (where, len(data)))
    (header_len,) = struct.unpack_from("<Q", data, 0)
    if header_len < 2 or header_len > 100000000 or 8 + header_len > len(data):
        raise ValueError("%s: header length %d, expected 2..100000000 and "
                         "inside the %d-byte file" % (where, header_len,
                                                      len(data)))

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("%s: duplicate key in header" % where)
        return dict(pairs)

    header = json.loads(data[8:8 + header_len].decode("utf-8"),
                        object_pairs_hook=no_duplicates)
    if not isinstance(header, dict):
        raise ValueError("%s: header is not a JSON object" % where)
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values()):
        raise ValueError("%s: __metadata__ is not an object of strings" % where)
    region = data[8 + header_len:]
    entries = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape",
                                                         "data_offsets"}:
            raise ValueError("%s: tensor '%s' needs exactly dtype, shape, "
                             "data_offsets" % (where, name))
        dtype, shape, (begin, end) = (entry["dtype"], entry["shape"],
                                      entry["data_offsets"])
        if dtype not in _DTYPE_SIZES:
            raise ValueError("%s: tensor '%s' has dtype %s, expected F32 or "
                             "BF16" % (where, name, dtype))
        count = 1
        for extent in shape:
            count *= extent
        if end - begin != count * _DTYPE_SIZES[dtype]:
            raise ValueError("%s: tensor '%s' data_offsets [%d, %d] hold %d "
                             "bytes, dtype x shape says %d"
                             % (where, name, begin, end, end - begin,
                                count * _DTYPE_SIZES[dtype]))
        entries.append((begin, end, name, dtype, shape))
    entries.sort()
    tensors = {}
    cursor = 0
    for begin, end, name, dtype, shape in entries:
        if begin != cursor:
            raise ValueError("%s: tensor '%s' starts at %d, expected %d (hole "
                             "or overlap)" % (where, name, begin, cursor))
        raw = region[begin:end]
        if dtype == "F32":
            array = numpy.frombuffer(raw, dtype="<f4").astype(numpy.float32)
        else:  # BF16: the top half of an f32
            halves = numpy.frombuffer(raw, dtype="<u2").astype(numpy.uint32)
            array = (halves << 16).view(numpy.float32)
        tensors[name] = array.reshape(shape)
        cursor = end
    if cursor != len(region):
        raise ValueError("%s: tensors end at %d, the data region has %d bytes"
                         % (where, cursor, len(region)))
    return tensors, metadata


def read(path):
    """(tensors, metadata) of the safetensors file at `path`."""
    with open(path, "rb") as stream:
        data = stream.read()
    return decode(data, path)
