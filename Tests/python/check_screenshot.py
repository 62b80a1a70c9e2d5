#!/usr/bin/env python3
"""Check that a screenshot of the `ddp compare` HTML report shows its charts drawn.

Counts the pixels of each named colour (within a small tolerance per channel, for
anti-aliasing) and how much of the image differs from its background, then prints one JSON
object on standard output:

    {"size": [1280, 4000], "drawn_fraction": 0.21, "distinct_colours": 5120,
     "colours": {"layernorm": 5321, "rmsnorm": 4980, ...}}

Exits 0 when the image is not blank (at least --min-drawn of it differs from the most common
colour, in more than a handful of colours) and every named colour covers at least
--min-pixels pixels; otherwise exits 1 with one line per problem on standard error.
Needs `pip install pillow`.

Usage: check_screenshot.py PNG NAME=#RRGGBB [NAME=#RRGGBB ...] [--min-pixels N]
           [--min-drawn FRACTION] [--tolerance T]
"""

import argparse
import json
import sys


def parse_colour(text):
    """'name=#RRGGBB' as (name, (r, g, b))."""
    name, _, value = text.partition("=")
    value = value.lstrip("#")
    if not name or len(value) != 6:
        raise argparse.ArgumentTypeError(f"expected NAME=#RRGGBB, got {text!r}")
    return name, tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("png")
    parser.add_argument("colours", nargs="+", type=parse_colour)
    # A 6-pixel marker has ~100 pixels; a chart bar several thousand. 300 pixels is a few
    # markers or one small bar: more than legend keys and swatches alone (~150 per colour).
    parser.add_argument("--min-pixels", type=int, default=300)
    # Text alone covers ~2% of a report page; drawn charts bring it well above 5%.
    parser.add_argument("--min-drawn", type=float, default=0.05)
    # Exact fills render exactly; the tolerance admits the edges of anti-aliased shapes.
    parser.add_argument("--tolerance", type=int, default=8)
    args = parser.parse_args()

    try:
        from PIL import Image
    except ImportError:
        print("check_screenshot.py: Pillow is missing (pip install pillow)", file=sys.stderr)
        return 1
    try:
        image = Image.open(args.png).convert("RGB")
    except OSError as error:
        print(f"check_screenshot.py: cannot read {args.png}: {error}", file=sys.stderr)
        return 1

    width, height = image.size
    histogram = image.getcolors(maxcolors=width * height)  # [(count, (r, g, b)), ...]
    background_count = max(count for count, _ in histogram)
    drawn = 1 - background_count / (width * height)
    counts = {}
    for name, target in args.colours:
        counts[name] = sum(
            count for count, colour in histogram
            if all(abs(a - b) <= args.tolerance for a, b in zip(colour, target)))

    print(json.dumps({"size": [width, height], "drawn_fraction": round(drawn, 4),
                      "distinct_colours": len(histogram), "colours": counts}))
    problems = []
    if drawn < args.min_drawn or len(histogram) < 20:
        problems.append(f"the image looks blank: {drawn:.1%} drawn in {len(histogram)} colours")
    for name, count in counts.items():
        if count < args.min_pixels:
            problems.append(f"{name}: {count} pixels of its colour, fewer than {args.min_pixels}")
    for problem in problems:
        print(f"check_screenshot.py: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
