"""Uploaded files are distrusted (issue 11, point 3): bounded in size, of an expected kind.

`check_upload()` refuses a file whose extension is not expected, whose size is over the limit
(read from the upload's declared size, before its content is read), or whose first bytes do
not match its extension (a PDF starts with %PDF-, an XLSX/DOCX/ODT is a ZIP, CSV and JSON
are UTF-8 text). `UploadField` is the form field every upload form uses.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ZIP = b"PK\x03\x04"
MAGIC = {
    "pdf": (b"%PDF",),
    "xlsx": (ZIP,),
    "docx": (ZIP,),
    "odt": (ZIP,),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
TEXT = {"csv", "json", "txt"}


def max_bytes(kind: str = "table") -> int:
    return int(settings.KARI_UPLOADS[kind])


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_upload(uploaded, *, extensions, limit: int) -> None:
    """Raise ValidationError (a message naming the file) unless `uploaded` is acceptable."""
    name = str(getattr(uploaded, "name", "") or "")
    ext = extension(name)
    if ext not in extensions:
        raise ValidationError(
            _("“%(name)s”: upload a file of one of these kinds: %(kinds)s.")
            % {"name": name, "kinds": ", ".join(f".{e}" for e in extensions)}
        )
    if uploaded.size is None or uploaded.size > limit:
        raise ValidationError(
            _("“%(name)s” is larger than %(limit)s.")
            % {"name": name, "limit": filesizeformat(limit)}
        )
    if uploaded.size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name})
    uploaded.seek(0)
    head = uploaded.read(512)
    uploaded.seek(0)
    if ext in MAGIC and not head.startswith(MAGIC[ext]):
        raise ValidationError(_("“%(name)s” is not a .%(ext)s file.") % {"name": name, "ext": ext})
    if ext in TEXT and b"\x00" in head:
        raise ValidationError(_("“%(name)s” is not a text file.") % {"name": name})


class UploadField(forms.FileField):
    """A file field with the allowed extensions and a size limit (settings.KARI_UPLOADS)."""

    default_error_messages = {"required": gettext_lazy("Choose a file.")}

    def __init__(self, *args, extensions=("csv", "xlsx"), kind: str = "table", **kwargs):
        self.extensions, self.kind = tuple(extensions), kind
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["accept"] = ",".join(f".{e}" for e in self.extensions)
        return attrs

    def clean(self, data, initial=None):
        f = super().clean(data, initial)
        if f:
            check_upload(f, extensions=self.extensions, limit=max_bytes(self.kind))
        return f


def attachment(filename: str) -> str:
    """A Content-Disposition value for a download (RFC 6266): the name cleaned of path parts
    and control characters, an ASCII fallback and the UTF-8 name in `filename*`."""
    name = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>|:*?') or "download"
    return content_disposition_header(True, name[:150])
