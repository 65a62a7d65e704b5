"""Header samples for new templates: checked here, then handed to Meta's resumable
upload, which answers the handle that `example.header_handle` needs."""

import logging
import os
import re
from dataclasses import dataclass

from wfb.message_templates.service import TemplateError, meta_refusal, template_client
from wfb.whatsapp.errors import GraphError

logger = logging.getLogger(__name__)

MB = 1024 * 1024


@dataclass(frozen=True)
class MediaKind:
    header_format: str
    max_bytes: int
    extension: str
    magic: tuple[tuple[int, bytes], ...]


# The types Meta's resumable upload takes for a header sample, with the sizes Meta
# accepts for each kind of media (protocol notes A8), and how each file begins.
# Limitation: a file also has to fit the app's 16 MB request limit, so PDFs
# larger than that are refused although Meta takes documents up to 100 MB.
MEDIA_KINDS = {
    "image/jpeg": MediaKind("IMAGE", 5 * MB, "jpg", ((0, b"\xff\xd8\xff"),)),
    "image/png": MediaKind("IMAGE", 5 * MB, "png", ((0, b"\x89PNG\r\n\x1a\n"),)),
    "video/mp4": MediaKind("VIDEO", 16 * MB, "mp4", ((4, b"ftyp"),)),
    "application/pdf": MediaKind("DOCUMENT", 100 * MB, "pdf", ((0, b"%PDF-"),)),
}
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}


@dataclass(frozen=True)
class HeaderMedia:
    handle: str
    format: str
    mime_type: str
    size: int


def media_kind(data: bytes, declared: str) -> tuple[str, MediaKind]:
    """The file's type and limits; refused unless its bytes match what it claims."""
    mime_type = ALIASES.get(declared, declared)
    kind = MEDIA_KINDS.get(mime_type)
    if kind is None:
        allowed = "JPEG, PNG, MP4 or PDF"
        raise media_problem(f"A header sample is a {allowed} file, not {declared}.")
    if not data:
        raise media_problem("The file is empty.")
    if len(data) > kind.max_bytes:
        limit = kind.max_bytes // MB
        raise media_problem(
            f"Meta takes a {kind.header_format.lower()} header up to {limit} MB; "
            f"this file has {len(data) / MB:.1f} MB."
        )
    if not any(data[at : at + len(magic)] == magic for at, magic in kind.magic):
        raise media_problem(f"The file's content is not {mime_type}.")
    return mime_type, kind


def media_problem(message: str) -> TemplateError:
    return TemplateError(message, 422, errors={"files": {"file": [message]}})


def safe_filename(filename: str | None, kind: MediaKind) -> str:
    """A plain name for Meta's `file_name`, keeping the extension that fits."""
    stem = os.path.splitext(os.path.basename(filename or ""))[0]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:100] or "header"
    return f"{stem}.{kind.extension}"


def upload_header_media(
    org_id: int, data: bytes, declared: str, filename: str | None
) -> HeaderMedia:
    """Upload a header sample for the org's app; answer its handle."""
    mime_type, kind = media_kind(data, declared)
    client, account = template_client(org_id)
    name = safe_filename(filename, kind)

    try:
        handle = client.resumable_upload(account.app_id, data, mime_type, name)
    except GraphError as error:
        raise meta_refusal(error, "take the file") from error
    except (KeyError, TypeError) as error:
        raise TemplateError(
            "Meta answered the upload without a handle.", 502
        ) from error

    logger.info(
        "org %s uploaded a %s header sample of %s bytes", org_id, mime_type, len(data)
    )
    return HeaderMedia(handle, kind.header_format, mime_type, len(data))
