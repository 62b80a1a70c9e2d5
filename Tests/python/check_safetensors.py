#!/usr/bin/env python3
"""Load a safetensors file with Hugging Face's `safetensors` package and describe it as JSON.

Proves that a file written by `ddp export` (Sources/Training/SafeTensors.swift) loads in a tool
that knows nothing of this project. Prints one JSON object on standard output:

    {"tensors": [{"name": ..., "shape": [...], "dtype": "float32"}, ...],   # sorted by name
     "metadata": {...},        # the header's __metadata__ (strings)
     "config": {...} | null}   # __metadata__["config"] parsed as JSON, when present

With --values, each tensor also carries "values": its elements in row-major order, as Python
floats (exact for float32). With --require-config, a missing or non-object "config", or one
lacking a key of DESIGN.md section 3, is an error.

Exits 0 on success and 1, with one line on standard error, when the file cannot be loaded.
Needs `pip install safetensors numpy`.

Usage: check_safetensors.py FILE [--values] [--require-config]
"""

import argparse
import json
import sys

CONFIG_KEYS = ("vocab_size", "d_model", "n_heads", "n_layers", "context", "norm", "placement",
               "attention")


def describe(path, values, require_config):
    from safetensors import safe_open
    from safetensors.numpy import load_file

    tensors = load_file(path)
    with safe_open(path, framework="numpy") as handle:
        metadata = handle.metadata() or {}
        names = sorted(handle.keys())
    if names != sorted(tensors):
        raise ValueError("safe_open and load_file disagree on the tensor names")

    config = None
    if "config" in metadata:
        config = json.loads(metadata["config"])
    if require_config:
        if not isinstance(config, dict):
            raise ValueError('__metadata__ has no "config" JSON object')
        missing = [key for key in CONFIG_KEYS if key not in config]
        if missing:
            raise ValueError("config lacks " + ", ".join(missing))

    described = []
    for name in names:
        array = tensors[name]
        entry = {"name": name, "shape": list(array.shape), "dtype": str(array.dtype)}
        if values:
            entry["values"] = [float(x) for x in array.reshape(-1)]
        described.append(entry)
    return {"tensors": described, "metadata": metadata, "config": config}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--values", action="store_true", help="print every tensor's values")
    parser.add_argument("--require-config", action="store_true",
                        help='fail unless __metadata__ holds the "config" of DESIGN.md')
    args = parser.parse_args()
    try:
        result = describe(args.path, args.values, args.require_config)
    except Exception as error:  # any failure to load is the answer, on one line
        message = " ".join(str(error).split())
        print(f"check_safetensors: {args.path}: {type(error).__name__}: {message}",
              file=sys.stderr)
        return 1
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
