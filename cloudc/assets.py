"""Code assets: folders zipped deterministically and named by content hash."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

from cloudc.paths import SKIP_DIRS, Entry, PathProblem, scan

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
        if self.dry and not _holds_anything(folder):
            raise _empty(what)
        if self.dry:
            name = f"{hashlib.sha256(str(folder).encode()).hexdigest()}.zip"
            self._by_folder[folder] = name
            return name
        entries = scan(folder, root if root is not None else folder, what)
        if not entries:
            raise _empty(what)
        data = zip_entries(entries)
        name = f"{hashlib.sha256(data).hexdigest()}.zip"
        self.files[name] = data
        self._by_folder[folder] = name
        return name


def _holds_anything(folder: Path) -> bool:
    """Whether a folder has an entry `scan` would look into (validate's cheap emptiness test)."""
    try:
        with os.scandir(folder) as it:
            return any(e.name not in SKIP_DIRS for e in it)
    except OSError:
        return True  # unreadable: the build's scan reports why


def _empty(what: str) -> PathProblem:
    return PathProblem("E1015", f"the {what} is empty",
                       "AWS Lambda rejects an empty zip: put the code in the folder, or point "
                       "the setting at the folder that holds it")


def zip_entries(entries: list[Entry]) -> bytes:
    """Zip the files listed by `cloudc.paths.scan` (no special files, no links out of the
    root, at most 250 MB) with sorted entries, fixed timestamps and normalised permissions."""
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
