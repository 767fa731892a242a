#!/usr/bin/python3
"""Writes data/fashion-mnist-mini: a small, balanced, reproducible subset of Fashion-MNIST.

The subset is embedded in the Loom assembly so that examples and tests train on real
images without a download. It keeps, in original file order:
  * train: the first 600 images of each of the 10 classes of train-*-ubyte (6000),
  * t10k:  the first 100 images of each of the 10 classes of t10k-*-ubyte (1000).

Usage: /usr/bin/python3 tools/make_fashion_mnist_mini.py [SOURCE_DIR] [OUTPUT_DIR]
  SOURCE_DIR defaults to Debian's /usr/share/datasets/fashion-mnist
             (apt-get install dataset-fashion-mnist); files may be raw or gzip.
  OUTPUT_DIR defaults to data/fashion-mnist-mini in this repository.

Only the standard library is used. gzip is written with mtime=0 and no file name in the
header, so running the script twice gives byte-identical files.
"""

import gzip
import hashlib
import os
import struct
import sys

CLASSES = 10
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def read_raw(source_dir, name):
    """Returns the decompressed bytes of NAME or NAME.gz (detected by its magic bytes)."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(source_dir, candidate)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    sys.exit(f"error: neither {name} nor {name}.gz in {source_dir} "
             "(apt-get install dataset-fashion-mnist)")


def parse(data, magic, name):
    """Splits an IDX file into (dims, payload) after checking magic and length."""
    (found,) = struct.unpack(">I", data[:4])
    if found != magic:
        sys.exit(f"error: {name}: magic 0x{found:08x}, expected 0x{magic:08x}")
    ndims = found & 0xFF
    dims = struct.unpack(">" + "I" * ndims, data[4:4 + 4 * ndims])
    payload = data[4 + 4 * ndims:]
    size = 1
    for d in dims:
        size *= d
    if len(payload) != size:
        sys.exit(f"error: {name}: {len(payload)} payload bytes, expected {size}")
    return dims, payload


def select(labels, per_class):
    """Indices of the first PER_CLASS samples of every class, in original order."""
    taken = [0] * CLASSES
    keep = []
    for i, label in enumerate(labels):
        if taken[label] < per_class:
            taken[label] += 1
            keep.append(i)
    if any(t != per_class for t in taken):
        sys.exit(f"error: not enough samples per class: {taken}")
    return keep


def write_gz(path, data):
    with open(path, "wb") as raw:
        # filename='' and mtime=0 keep the header free of anything that varies between runs.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(data)


def make(source_dir, out_dir, split, per_class):
    images_name = f"{split}-images-idx3-ubyte"
    labels_name = f"{split}-labels-idx1-ubyte"
    (n, rows, cols), pixels = parse(read_raw(source_dir, images_name), IMAGES_MAGIC, images_name)
    (n_labels,), labels = parse(read_raw(source_dir, labels_name), LABELS_MAGIC, labels_name)
    if n != n_labels:
        sys.exit(f"error: {split}: {n} images but {n_labels} labels")

    keep = select(labels, per_class)
    image_bytes = rows * cols
    out_pixels = b"".join(pixels[i * image_bytes:(i + 1) * image_bytes] for i in keep)
    out_labels = bytes(labels[i] for i in keep)

    images = struct.pack(">IIII", IMAGES_MAGIC, len(keep), rows, cols) + out_pixels
    labels_file = struct.pack(">II", LABELS_MAGIC, len(keep)) + out_labels
    for name, data in ((images_name, images), (labels_name, labels_file)):
        path = os.path.join(out_dir, name + ".gz")
        write_gz(path, data)
        print(f"{path}: {len(keep)} samples, {os.path.getsize(path)} bytes, "
              f"sha256 (decompressed) {hashlib.sha256(data).hexdigest()}")


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source_dir = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(repo, "data", "fashion-mnist-mini")
    os.makedirs(out_dir, exist_ok=True)
    make(source_dir, out_dir, "train", 600)
    make(source_dir, out_dir, "t10k", 100)


if __name__ == "__main__":
    main()
