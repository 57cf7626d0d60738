"""Code assets: folders zipped deterministically and named by content hash."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from cloudc.paths import Entry, scan

_EPOCH = (1980, 1, 1, 0, 0, 0)
# The artifacts bucket `cloudc deploy` creates once per account and region (stack
# cloudc-bootstrap), as a Fn::Sub template, and the key prefix assets are uploaded under.
ARTIFACTS_BUCKET = "cloudc-artifacts-${AWS::AccountId}-${AWS::Region}"
ASSET_PREFIX = "assets/"


class Assets:
    """Collect zipped code folders for one build; the same folder is zipped once."""

    def __init__(self, dry: bool = False) -> None:
        self.files: dict[str, bytes] = {}
        self._by_folder: dict[Path, str] = {}
        self.dry = dry  # validate: check folders exist, zip nothing

    def add_folder(self, folder: Path, root: Path | None = None, what: str = "code folder") -> str:
        """Zip `folder` and return the asset's file name, `<sha256>.zip`.

        `root` is the config's folder, which symbolic links must not leave (default: `folder`).
        Raises cloudc.paths.PathProblem for what `scan` refuses.
        """
        if folder in self._by_folder:
            return self._by_folder[folder]
        if self.dry:
            name = f"{hashlib.sha256(str(folder).encode()).hexdigest()}.zip"
            self._by_folder[folder] = name
            return name
        data = zip_folder(folder, root, what)
        name = f"{hashlib.sha256(data).hexdigest()}.zip"
        self.files[name] = data
        self._by_folder[folder] = name
        return name


def zip_folder(folder: Path, root: Path | None = None, what: str = "code folder") -> bytes:
    """Zip a folder with sorted entries, fixed timestamps and normalised permissions.

    The files are listed by `cloudc.paths.scan` (no special files, no links out of `root`,
    at most 250 MB).
    """
    return zip_entries(scan(folder, root if root is not None else folder, what))


def zip_entries(entries: list[Entry]) -> bytes:
    """Zip files listed by `scan`, deterministically."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for entry in entries:
            info = zipfile.ZipInfo(entry.rel, date_time=_EPOCH)
            mode = 0o755 if entry.executable else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            zf.writestr(info, entry.path.read_bytes())
    return buf.getvalue()
