"""benchmarks/harness/checkpoint.py: which model a benchmark run measured.

Describes a pan checkpoint (a safetensors file, docs/model.md, "Checkpoint
files") for the header: its path, size, crc32 (zlib's, the same as
pan-eval's report) and sha256, and from its __metadata__ the trained flag
(`pan.trained`), the note (`pan.note`) and the configuration
(`pan.config`). Reading it never loads the tensors.
"""

import hashlib
import json
import os
import struct
import zlib

MAX_HEADER = 100 << 20  # a safetensors header larger than this is corrupt


def _hashes(path):
    crc, sha = 0, hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            crc = zlib.crc32(block, crc)
            sha.update(block)
    return "%08x" % crc, sha.hexdigest()


def _metadata(path):
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError("%s: shorter than a safetensors header" % path)
        (size,) = struct.unpack("<Q", head)
        if size > MAX_HEADER:
            raise ValueError("%s: safetensors header of %d bytes" % (path, size))
        header = json.loads(f.read(size).decode("utf-8"))
    return header.get("__metadata__") or {}, len(header) - ("__metadata__" in header)


def describe(path, origin):
    """The model fields of the header; `origin` says where it came from."""
    crc, sha = _hashes(path)
    meta, tensors = _metadata(path)
    trained = meta.get("pan.trained")
    config = None
    if meta.get("pan.config"):
        try:
            config = json.loads(meta["pan.config"])
        except ValueError:
            config = None
    return {
        "path": os.path.abspath(path),
        "origin": origin,
        "bytes": os.path.getsize(path),
        "crc32": crc,
        "sha256": sha,
        "trained": {"true": True, "false": False}.get(trained),
        "note": meta.get("pan.note"),
        "tensors": tensors,
        "config": config,
    }


def label(model):
    """A short human label: UNTRAINED is spelled out, as everywhere in pan."""
    if model is None:
        return "none (no benchmark selected uses a model)"
    state = {True: "trained", False: "UNTRAINED", None: "trained flag missing"}
    return "%s (%s; crc32 %s, sha256 %s...)" % (
        model["path"], state[model["trained"]], model["crc32"],
        model["sha256"][:16])
