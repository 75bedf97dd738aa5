"""Validate uploaded images by decoding them, then re-encode and shrink them.

The file name and the client's content type are ignored: only what Pillow can
decode counts. Size and pixel caps stop oversized files and decompression bombs
before any pixel is decoded.
"""

import io
import warnings
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.crypto import get_random_string
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageTooLarge, InvalidImage

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def _read_capped(upload) -> bytes:
    max_bytes = settings.VENUE_UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ImageTooLarge(
            f"The file is {upload.size} bytes; the limit is {max_bytes} bytes.",
            details={"max_bytes": max_bytes},
        )
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageTooLarge(
            f"The file is larger than the limit of {max_bytes} bytes.",
            details={"max_bytes": max_bytes},
        )
    return data


def _open_checked(data: bytes) -> Image.Image:
    max_pixels = settings.VENUE_UPLOAD_MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(
                "The image has too many pixels.", details={"max_pixels": max_pixels}
            ) from exc
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise InvalidImage() from exc
    if image.format not in ACCEPTED_FORMATS:
        raise InvalidImage(f"{image.format} images are not accepted; use JPEG, PNG or WebP.")
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"The image is {width}x{height} pixels; the limit is {max_pixels} pixels in all.",
            details={"max_pixels": max_pixels},
        )
    return image


def image_process(upload, *, max_size: tuple[int, int], name: str) -> ContentFile:
    """Return the upload re-encoded (JPEG, or PNG when it has transparency), at most max_size."""
    data = _read_capped(upload)
    image = _open_checked(data)
    try:
        image.verify()  # structure and checksums; the image cannot be used afterwards
        image = _open_checked(data)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (ImageTooLarge, InvalidImage):
        raise
    except Exception as exc:  # any decoder error: truncated, corrupt, unsupported mode
        raise InvalidImage("The image is damaged or incomplete.") from exc

    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail(max_size, Image.Resampling.LANCZOS)

    out = io.BytesIO()
    if has_alpha:
        image.save(out, format="PNG", optimize=True)
        extension = "png"
    else:
        image.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
        extension = "jpg"
    stem = Path(name).stem or "image"
    return ContentFile(out.getvalue(), name=f"{stem}-{get_random_string(8).lower()}.{extension}")
