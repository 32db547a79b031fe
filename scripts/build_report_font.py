"""Build the Chinese font the PDF reports embed: a subset of Noto Sans CJK SC (SIL Open Font
License 1.1) with the 6,763 hanzi of GB2312, ASCII, Latin-1, CJK punctuation and full-width
forms, written as WOFF2 to kesheng/reports/fonts/.

The reports must render Simplified Chinese on any machine, with nothing fetched at run time, so
the font ships inside the package. Rebuild it (only needed to change the character set) from
Debian's fonts-noto-cjk package:

    apt-get install fonts-noto-cjk
    .venv/bin/python scripts/build_report_font.py
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
TARGET = Path(__file__).resolve().parent.parent / "kesheng/reports/fonts/NotoSansSC-subset.woff2"


def gb2312_hanzi() -> str:
    characters = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                characters.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(characters)


def wanted_characters() -> str:
    ranges = [
        (0x20, 0x7E),  # ASCII
        (0xA0, 0xFF),  # Latin-1
        (0x2010, 0x2044),  # dashes, quotes, bullets, ellipsis, per mille
        (0x2190, 0x2199),  # arrows
        (0x2200, 0x2265),  # maths: minus, square root, infinity, less/greater or equal
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0xFF00, 0xFFEF),  # full-width forms
    ]
    extra = "".join(chr(code) for start, end in ranges for code in range(start, end + 1))
    return gb2312_hanzi() + extra + "²³¹·×÷€№"


def simplified_chinese_index(collection: TTCollection) -> int:
    for index, font in enumerate(collection.fonts):
        family = font["name"].getDebugName(1) or ""
        if family.endswith("CJK SC"):
            return index
    raise SystemExit("no Noto Sans CJK SC face in " + str(SOURCE))


def main() -> None:
    if not SOURCE.exists():
        sys.exit(f"{SOURCE} is missing: apt-get install fonts-noto-cjk")
    index = simplified_chinese_index(TTCollection(str(SOURCE)))
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.font_number = index
    font = subset.load_font(str(SOURCE), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=wanted_characters())
    subsetter.subset(font)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(TARGET), options)
    print(f"{TARGET}: {TARGET.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
