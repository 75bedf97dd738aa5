"""Refusals of catalog services, each with a stable code."""

from rest_framework import status

from apps.core.exceptions import ApplicationError, Conflict


class InvalidImage(ApplicationError):
    code = "invalid_image"
    message = "The file is not an image we can read (JPEG, PNG, WebP or GIF)."


class ImageTooLarge(ApplicationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "image_too_large"
    message = "The image is too large."


class InvalidLayout(ApplicationError):
    code = "invalid_layout"
    message = "The seat layout is not valid."


class LayoutInUse(Conflict):
    code = "layout_in_use"
    message = "The layout is used by upcoming showtimes."


class InUse(Conflict):
    code = "in_use"
    message = "This is still in use."
