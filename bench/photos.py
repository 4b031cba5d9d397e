"""Photo uploads: how long checking a phone photo and making its display copy and thumbnail takes
(`events.photos.prepare_photo`, the work each upload does before anything is stored), and how big the
copies are. The photos are made here with Pillow: noisy 12-megapixel JPEGs (4000×3000, as a phone
camera writes them, with EXIF orientation 6 and GPS) and a smaller 3-megapixel one.

Usage: PYTHONPATH=src python bench/photos.py [--count 5]"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from PIL import Image

from citycockpit.events import photos


def phone_jpeg(width: int, height: int, seed: int) -> bytes:
    noise = Image.effect_noise((width, height), 40 + seed)
    image = Image.merge(
        "RGB", (noise, noise.rotate(90, expand=False), noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (31.0, 27.0, 46.8), "E", (121.0, 6.0, 25.2)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, exif=exif)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5)
    args = parser.parse_args()
    limits = photos.PhotoLimits()
    for width, height in ((4000, 3000), (2000, 1500)):
        files = [phone_jpeg(width, height, i) for i in range(args.count)]
        times, display, thumb = [], [], []
        for data in files:
            start = time.perf_counter()
            prepared = photos.prepare_photo(data, "bench.jpg", limits)
            times.append(time.perf_counter() - start)
            display.append(len(prepared.display))
            thumb.append(len(prepared.thumb))
        print(
            f"{width}x{height} JPEG, {statistics.mean(len(f) for f in files) / 1e6:.1f} MB: "
            f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms per photo; "
            f"display copy {statistics.mean(display) / 1e3:.0f} kB, thumbnail {statistics.mean(thumb) / 1e3:.0f} kB "
            f"({args.count} photos)"
        )


if __name__ == "__main__":
    main()
