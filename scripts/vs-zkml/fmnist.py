"""Fashion-MNIST test images and labels (Debian's dataset-fashion-mnist), read as the
opml guest reads them: pixel p becomes the int8 p >> 1, and the float models see
(p >> 1) * input_scale (docs/model-image.md)."""

import gzip

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"
IMAGES = f"{DATA}/t10k-images-idx3-ubyte.gz"
LABELS = f"{DATA}/t10k-labels-idx1-ubyte.gz"
CALIBRATION = f"{DATA}/train-images-idx3-ubyte.gz"


def read_idx(path):
    """An IDX file (gzipped) as a uint8 array of its declared shape."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def guest_input(images, index):
    """The int8 input the guest sees for test image `index` (shape 1x28x28)."""
    return (images[index].astype(np.int32) >> 1).astype(np.int8).reshape(1, 28, 28)


def float_input(images, index, input_scale):
    """The float input of the exported model for test image `index` (NCHW, batch 1)."""
    return guest_input(images, index).astype(np.float32)[None] * np.float32(input_scale)
