"""Draw the user guide's pictures: every script in examples/ with --out docs/images.

    python docs/make_images.py      (from the repository root, with ".[plot]" installed)

Each PNG is then stored with a 256-colour palette (Pillow, which matplotlib depends on), which
keeps each file well under 150 kB without a visible change to these plots.
"""
import pathlib
import subprocess
import sys

from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "images"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for script in sorted((ROOT / "examples").glob("[a-z]*.py")):
        result = subprocess.run([sys.executable, str(script), "--out", str(OUT)], check=True,
                                capture_output=True, text=True)
        for line in result.stdout.splitlines():
            if line.startswith("wrote "):
                path = pathlib.Path(line[len("wrote "):])
                image = Image.open(path).convert("RGB")
                image.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                               dither=Image.Dither.NONE).save(path, optimize=True)
                print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} kB")


if __name__ == "__main__":
    main()
