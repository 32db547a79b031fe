"""Checking a photo someone uploaded with a complaint: JPEG, PNG or WebP, within limits.

No Django imports. With Pillow (installed with Kesheng) the image is decoded and written again
without its metadata, so a phone's GPS position and camera serial never reach the disk; without
Pillow only the file's first bytes are checked and the file is kept as sent.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 48-megapixel phone's full-size shot is refused; 12 MP is fine

# format -> (content type, extension)
PHOTO_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


class PhotoRefused(ValueError):
    """The file is not a photo Kesheng keeps; ``code`` says why (``too_large``,
    ``not_an_image``, ``too_many_pixels``)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckedPhoto:
    content: bytes
    content_type: str
    extension: str


def sniff_format(head: bytes) -> str | None:
    """The format the first bytes announce (JPEG, PNG, WEBP), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def check_photo(content: bytes) -> CheckedPhoto:
    """Accept a JPEG, PNG or WebP of at most MAX_PHOTO_BYTES, else raise PhotoRefused."""
    if len(content) > MAX_PHOTO_BYTES:
        raise PhotoRefused("too_large")
    sniffed = sniff_format(content[:16])
    if sniffed is None:
        raise PhotoRefused("not_an_image")
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover - Pillow ships with Kesheng's dependencies
        content_type, extension = PHOTO_FORMATS[sniffed]
        return CheckedPhoto(content=content, content_type=content_type, extension=extension)
    return _rewrite_with_pillow(content, Image, ImageOps)


def _rewrite_with_pillow(content: bytes, Image, ImageOps) -> CheckedPhoto:
    try:
        with warnings.catch_warnings():
            # A decompression bomb is refused here rather than only warned about.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                image_format = probe.format
                if image_format not in PHOTO_FORMATS:
                    raise PhotoRefused("not_an_image")
                if probe.width * probe.height > MAX_PHOTO_PIXELS:
                    raise PhotoRefused("too_many_pixels")
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                upright.info = {}  # no EXIF, XMP or ICC text is written back
                output = io.BytesIO()
                if image_format == "JPEG":
                    upright.convert("RGB").save(output, "JPEG", quality=90)
                else:
                    upright.save(output, image_format)
    except PhotoRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused("too_many_pixels") from None
    except Exception:  # any decoding error: truncated, corrupt or disguised files
        raise PhotoRefused("not_an_image") from None
    content_type, extension = PHOTO_FORMATS[image_format]
    return CheckedPhoto(content=output.getvalue(), content_type=content_type, extension=extension)
