#!/usr/bin/python3
"""Trains a small MLP or CNN on Fashion-MNIST with numpy only and exports safetensors.

    /usr/bin/python3 scripts/train-fmnist.py [--arch mlp] [--out guest-ml/models/fmnist-mlp.safetensors]
    /usr/bin/python3 scripts/train-fmnist.py --arch cnn --out guest-ml/models/fmnist-cnn.safetensors

Data: the Debian package dataset-fashion-mnist (gzipped IDX files under
/usr/share/datasets/fashion-mnist; scripts/setup.sh installs it with python3-numpy).
Uses Debian's /usr/bin/python3, where python3-numpy lives.

The MLP is flatten -> dense(784, 128) -> ReLU -> dense(128, 10); the CNN is
conv2d(1 -> 8, 3x3) -> ReLU -> max_pool(2, 2) -> flatten -> dense(8*13*13, 10). The
architecture files guest-ml/models/fmnist-{mlp,cnn}.json describe them for
`opml compile-model`. Pixels are
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


def mlp_forward(params, x):
    """Logits and what the backward pass needs."""
    w1, b1, w2, b2 = params
    z1 = x @ w1.T + b1
    h = np.maximum(z1, 0)
    return h @ w2.T + b2, (x, z1, h)


def mlp_backward(params, cache, g):
    """Gradients of (w1, b1, w2, b2) given the logits' gradient `g`."""
    _, _, w2, _ = params
    x, z1, h = cache
    gh = (g @ w2) * (z1 > 0)
    return gh.T @ x, gh.sum(0), g.T @ h, g.sum(0)


def mlp_init(rng, hidden):
    n_in = 28 * 28
    return [
        (rng.standard_normal((hidden, n_in)) * np.sqrt(2.0 / n_in)).astype(np.float32),
        np.zeros(hidden, np.float32),
        (rng.standard_normal((10, hidden)) * np.sqrt(2.0 / hidden)).astype(np.float32),
        np.zeros(10, np.float32),
    ]


CNN_CHANNELS = 8


def patches(x):
    """3x3 valid-convolution patches of [n, 784] images: [n, 26*26, 9]."""
    img = x.reshape(len(x), 28, 28)
    win = np.lib.stride_tricks.sliding_window_view(img, (3, 3), axis=(1, 2))
    return win.reshape(len(x), 26 * 26, 9)


def cnn_forward(params, x):
    """conv2d(1->8, 3x3) -> ReLU -> max_pool(2, 2) -> flatten (C, H, W) -> dense."""
    wc, bc, wd, bd = params
    cols = patches(x)
    z = cols @ wc.reshape(CNN_CHANNELS, 9).T + bc  # [n, 676, 8]
    z = z.transpose(0, 2, 1).reshape(len(x), CNN_CHANNELS, 26, 26)
    a = np.maximum(z, 0)
    win = a.reshape(len(x), CNN_CHANNELS, 13, 2, 13, 2)
    pooled = win.max(axis=(3, 5))
    f = pooled.reshape(len(x), -1)
    return f @ wd.T + bd, (cols, z, win, pooled, f)


def cnn_backward(params, cache, g):
    """Gradients of (wc, bc, wd, bd) given the logits' gradient `g`."""
    _, _, wd, _ = params
    cols, z, win, pooled, f = cache
    gf = (g @ wd).reshape(pooled.shape)
    # Max pooling passes the gradient to the window's maximum (split between ties).
    is_max = win == pooled[:, :, :, None, :, None]
    share = is_max / is_max.sum(axis=(3, 5), keepdims=True)
    ga = (share * gf[:, :, :, None, :, None]).reshape(z.shape)
    gz = ga * (z > 0)
    gz = gz.reshape(len(z), CNN_CHANNELS, 26 * 26).transpose(0, 2, 1)  # [n, 676, 8]
    gwc = np.einsum("npo,npk->ok", gz, cols).reshape(CNN_CHANNELS, 1, 3, 3)
    return gwc, gz.sum((0, 1)), g.T @ f, g.sum(0)


def cnn_init(rng, _hidden):
    n_dense = CNN_CHANNELS * 13 * 13
    return [
        (rng.standard_normal((CNN_CHANNELS, 1, 3, 3)) * np.sqrt(2.0 / 9)).astype(np.float32),
        np.zeros(CNN_CHANNELS, np.float32),
        (rng.standard_normal((10, n_dense)) * np.sqrt(2.0 / n_dense)).astype(np.float32),
        np.zeros(10, np.float32),
    ]


ARCHS = {
    # name: (init, forward, backward, tensor names in safetensors)
    "mlp": (mlp_init, mlp_forward, mlp_backward,
            ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")),
    "cnn": (cnn_init, cnn_forward, cnn_backward,
            ("conv1.weight", "conv1.bias", "fc.weight", "fc.bias")),
}


def accuracy(forward, params, x, y):
    correct = 0
    for i in range(0, len(x), 1000):
        logits, _ = forward(params, x[i:i + 1000])
        correct += int(np.sum(np.argmax(logits, axis=1) == y[i:i + 1000]))
    return correct / len(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", choices=sorted(ARCHS), default="mlp")
    ap.add_argument("--out", help="default: guest-ml/models/fmnist-ARCH.safetensors")
    ap.add_argument("--hidden", type=int, default=128, help="MLP hidden units")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    out = args.out or f"guest-ml/models/fmnist-{args.arch}.safetensors"
    init, forward, backward, names = ARCHS[args.arch]

    xtr = features(read_idx(f"{DATA}/train-images-idx3-ubyte.gz"))
    ytr = read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64)
    xte = features(read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz"))
    yte = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").astype(np.int64)
    print(f"{args.arch}: train {xtr.shape}, test {xte.shape}")

    rng = np.random.default_rng(args.seed)
    params = init(rng, args.hidden)
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
            logits, cache = forward(params, x)
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(y)), y] -= 1
            grads = backward(params, cache, p / len(y))
            step += 1
            for k, grad in enumerate(grads):
                m[k] = b1 * m[k] + (1 - b1) * grad
                v[k] = b2 * v[k] + (1 - b2) * grad * grad
                mh = m[k] / (1 - b1 ** step)
                vh = v[k] / (1 - b2 ** step)
                params[k] = (params[k] - lr * mh / (np.sqrt(vh) + eps)).astype(np.float32)
        print(f"epoch {epoch + 1}/{args.epochs}: test accuracy "
              f"{100 * accuracy(forward, params, xte, yte):.2f} % ({time.time() - t0:.1f} s)")
    acc = accuracy(forward, params, xte, yte)
    write_safetensors(out, dict(zip(names, params)))
    print(f"float model test accuracy: {100 * acc:.2f} % on {len(yte)} images")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
