"""Code assets: folders zipped deterministically and named by content hash."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)


class Assets:
    """Collect zipped code folders for one build; the same folder is zipped once."""

    def __init__(self, dry: bool = False) -> None:
        self.files: dict[str, bytes] = {}
        self._by_folder: dict[Path, str] = {}
        self.dry = dry  # validate: check folders exist, zip nothing

    def add_folder(self, folder: Path) -> str:
        """Zip `folder` and return the asset's file name, `<sha256>.zip`."""
        if folder in self._by_folder:
            return self._by_folder[folder]
        if self.dry:
            name = f"{hashlib.sha256(str(folder).encode()).hexdigest()}.zip"
            self._by_folder[folder] = name
            return name
        data = zip_folder(folder)
        name = f"{hashlib.sha256(data).hexdigest()}.zip"
        self.files[name] = data
        self._by_folder[folder] = name
        return name


def zip_folder(folder: Path) -> bytes:
    """Zip a folder with sorted entries, fixed timestamps and normalised permissions."""
    buf = io.BytesIO()
    entries = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "__pycache__", "node_modules/.cache"))
        for f in files:
            entries.append(Path(root) / f)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(entries, key=lambda p: p.relative_to(folder).as_posix()):
            rel = path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo(rel, date_time=_EPOCH)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()
