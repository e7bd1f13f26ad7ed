#!/usr/bin/python3
"""Trains a small MLP on Fashion-MNIST with numpy only and exports safetensors.

    /usr/bin/python3 scripts/train-fmnist.py [--out guest-ml/models/fmnist-mlp.safetensors]

Data: the Debian package dataset-fashion-mnist (gzipped IDX files under
/usr/share/datasets/fashion-mnist; scripts/setup.sh installs it with python3-numpy).
Uses Debian's /usr/bin/python3, where python3-numpy lives.

The network is flatten -> dense(784, 128) -> ReLU -> dense(128, 10) (the architecture
file guest-ml/models/fmnist-mlp.json describes it for `opml compile-model`). Pixels are
fed exactly as the integer guest sees them: q = pixel >> 1 (0..127), x = q * 2/255, so
the float model and the int8 model read the same input values.

The safetensors file is written by hand (8-byte little-endian header length, JSON header,
raw little-endian F32 data), so no pip package is needed. Training is deterministic for a
given numpy build (fixed seed); the float test accuracy is printed at the end.
"""
import argparse
import gzip
import json
import struct
import sys
import time

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"
INPUT_SCALE = 2.0 / 255.0


def read_idx(path):
    """Reads a gzipped IDX file (images: uint8 [n, 28, 28], labels: uint8 [n])."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    if magic >> 8 != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file (magic {magic:#x})")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        sys.exit(f"{path}: truncated: {arr.size} bytes for dims {dims}")
    return arr.reshape(dims)


def features(images):
    """The float features of the guest's int8 input: (pixel >> 1) * 2/255, flattened."""
    q = (images >> 1).astype(np.float32)
    return (q * np.float32(INPUT_SCALE)).reshape(len(images), -1)


def write_safetensors(path, tensors):
    """Writes {name: float32 array} in the safetensors format."""
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for raw in blobs:
            f.write(raw)


def accuracy(params, x, y):
    w1, b1, w2, b2 = params
    h = np.maximum(x @ w1.T + b1, 0)
    return float(np.mean(np.argmax(h @ w2.T + b2, axis=1) == y))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="guest-ml/models/fmnist-mlp.safetensors")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    xtr = features(read_idx(f"{DATA}/train-images-idx3-ubyte.gz"))
    ytr = read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = features(read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz"))
    yte = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    print(f"train {xtr.shape}, test {xte.shape}")

    rng = np.random.default_rng(args.seed)
    n_in, n_h, n_out = xtr.shape[1], args.hidden, 10
    params = [
        (rng.standard_normal((n_h, n_in)) * np.sqrt(2.0 / n_in)).astype(np.float32),
        np.zeros(n_h, np.float32),
        (rng.standard_normal((n_out, n_h)) * np.sqrt(2.0 / n_h)).astype(np.float32),
        np.zeros(n_out, np.float32),
    ]
    # Adam
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps, step, batch = 1e-3, 0.9, 0.999, 1e-8, 0, 128
    for epoch in range(args.epochs):
        t0 = time.time()
        order = rng.permutation(len(xtr))
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            x, y = xtr[idx], ytr[idx]
            w1, bb1, w2, bb2 = params
            z1 = x @ w1.T + bb1
            h = np.maximum(z1, 0)
            logits = h @ w2.T + bb2
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(y)), y] -= 1
            g = p / len(y)
            gw2, gb2 = g.T @ h, g.sum(0)
            gh = (g @ w2) * (z1 > 0)
            gw1, gb1 = gh.T @ x, gh.sum(0)
            step += 1
            for k, grad in enumerate((gw1, gb1, gw2, gb2)):
                m[k] = b1 * m[k] + (1 - b1) * grad
                v[k] = b2 * v[k] + (1 - b2) * grad * grad
                mh = m[k] / (1 - b1 ** step)
                vh = v[k] / (1 - b2 ** step)
                params[k] = (params[k] - lr * mh / (np.sqrt(vh) + eps)).astype(np.float32)
        print(f"epoch {epoch + 1}/{args.epochs}: test accuracy "
              f"{100 * accuracy(params, xte, yte):.2f} % ({time.time() - t0:.1f} s)")
    acc = accuracy(params, xte, yte)
    write_safetensors(args.out, {"fc1.weight": params[0], "fc1.bias": params[1],
                                 "fc2.weight": params[2], "fc2.bias": params[3]})
    print(f"float model test accuracy: {100 * acc:.2f} % on {len(yte)} images")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
