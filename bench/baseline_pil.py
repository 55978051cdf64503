#!/usr/bin/python3
"""Baseline for `npm run bench`: render documents the way the reference T2Vid pipeline does.

Mirrors the reference renderer (xjtupanda/T2Vid, VITA-MLLM/Sparrow: utils/text-to-images/draw_text_*.py):
  * split each context every 115 tokens of NLTK `word_tokenize`, pieces rejoined with single spaces;
  * per piece: a new 448x448 RGB white image, the font loaded with ImageFont.truetype (the reference loads it
    per image), greedy word wrap to width - 40 where a word's advance is `font.getbbox(word + ' ')[2]`,
    block height = sum of `font.getbbox(line)[3]`, block centred vertically, each line drawn black at x = 20,
    y advancing by the line's bbox bottom;
  * `image.save(path)` as PNG (PIL defaults), one file per frame, one task per document, 2 worker processes.

NLTK's punkt data cannot be downloaded here, so `word_tokenize` is approximated by a regex tokenizer that
splits words and punctuation the same way for ordinary English (quotes become `` and '', contractions are split
as do|n't, numbers like 1,000 and 3.5 stay whole). The drawing and PNG encoding dominate the cost.

Usage: /usr/bin/python3 bench/baseline_pil.py --font DejaVuSans.ttf --out DIR [--words 115] [--workers 2] FILE.jsonl...
Input lines are JSON objects; the `input` field (L-Eval), else `context`, is one document.
Prints one JSON line: {"frames", "seconds", "bytes", "clipped", "documents"}. `seconds` times the per-document
work of the reference (tokenize, split, draw, save); Python start-up, reading the JSONL files and starting the
worker processes are outside it. `clipped` counts frames whose text block is taller than the image.
"""
import argparse
import json
import os
import re
import sys
import time
from multiprocessing import Pool

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:  # pragma: no cover - reported to the harness
    sys.stderr.write("PIL is missing for %s: apt-get install python3-pil\n" % sys.executable)
    sys.exit(3)

WIDTH = 448
HEIGHT = 448
MARGIN = 20

# Approximation of NLTK's Treebank-style word_tokenize.
_OPEN_QUOTE = re.compile(r'(^|[\s(\[{<])"')
_TOKEN = re.compile(
    r"""
    ``|''                                   # converted double quotes
    | \.\.\.|--                             # ellipsis, dash
    | \d+(?:[.,:/]\d+)+                     # 1,000  3.5  10:30  1/2
    | (?:[^\W\d_]\.){2,}                    # U.S.  e.g.
    | \w+(?=n't\b)                          # do|n't  ca|n't
    | n't\b
    | '(?:s|re|ve|ll|m|d)\b                 # 's 're 've 'll 'm 'd
    | \w+(?='(?:s|re|ve|ll|m|d)\b)          # it|'s  we|'re
    | \w+(?:[-']\w+)*                       # words, hyphenated words, o'clock
    | \S                                    # any other single character
    """,
    re.X | re.I,
)


def word_tokenize(text):
    text = _OPEN_QUOTE.sub(r"\1``", text).replace('"', "''")
    return _TOKEN.findall(text)


def split_text_by_word_limit(text, max_words):
    words = word_tokenize(text)
    return [" ".join(words[i:i + max_words]) for i in range(0, len(words), max_words)]


def text_wrap(text, font, max_width):
    lines = []
    current = []
    width = 0
    for word in text.split():
        w = font.getbbox(word + " ")[2]
        if width + w <= max_width:
            current.append(word)
            width += w
        else:
            lines.append(" ".join(current))
            current = [word]
            width = w
    if current:
        lines.append(" ".join(current))
    return lines


def create_image_with_text(text, font_path, font_size):
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(font_path, font_size)
    lines = text_wrap(text, font, image.width - 2 * MARGIN)
    total_height = sum(font.getbbox(line)[3] for line in lines)
    y = (image.height - total_height) / 2
    for line in lines:
        line_height = font.getbbox(line)[3]
        draw.text((MARGIN, y), line, font=font, fill="black")
        y += line_height
    return image, total_height > image.height


def render_document(task):
    idx, text, out_dir, font_path, font_size, max_words = task
    doc_dir = os.path.join(out_dir, "doc_%05d" % idx)
    os.makedirs(doc_dir, exist_ok=True)
    frames = 0
    nbytes = 0
    clipped = 0
    for i, part in enumerate(split_text_by_word_limit(text, max_words)):
        image, clip = create_image_with_text(part, font_path, font_size)
        path = os.path.join(doc_dir, "text_pic_%05d.png" % i)
        image.save(path)
        frames += 1
        nbytes += os.path.getsize(path)
        clipped += 1 if clip else 0
    return frames, nbytes, clipped


def _ping(_):
    return os.getpid()


def read_documents(files):
    docs = []
    for name in files:
        with open(name, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                obj = json.loads(line)
                text = obj.get("input")
                if text is None:
                    text = obj.get("context")
                if isinstance(text, str) and text.strip():
                    docs.append(text)
    return docs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--font", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--font-size", type=int, default=20)
    ap.add_argument("--words", type=int, default=115)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    docs = read_documents(args.files)
    os.makedirs(args.out, exist_ok=True)
    tasks = [(i, d, args.out, args.font, args.font_size, args.words) for i, d in enumerate(docs)]
    with Pool(args.workers) as pool:
        # Make sure the workers are up before the clock starts.
        pool.map(_ping, range(args.workers * 4), chunksize=1)
        t0 = time.perf_counter()
        results = list(pool.imap_unordered(render_document, tasks, chunksize=1))
        seconds = time.perf_counter() - t0
    frames = sum(r[0] for r in results)
    nbytes = sum(r[1] for r in results)
    clipped = sum(r[2] for r in results)
    print(json.dumps({
        "frames": frames,
        "seconds": round(seconds, 4),
        "bytes": nbytes,
        "clipped": clipped,
        "documents": len(docs),
    }))


if __name__ == "__main__":
    main()
