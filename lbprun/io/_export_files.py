"""The files of a watch export: a folder, a .zip or a bare ``activities.csv``, read safely.

- Folders are walked without following symbolic links out of them: a link whose target lies
  outside the folder is skipped with a note (a link to a file inside it is read); linked
  folders are not entered.
- Zip members are read in memory with :func:`lbprun.io._limits.read_zip_member` (size and
  ratio limits); nothing is ever extracted, so member names with ``../`` or an absolute path
  cannot write anywhere. Such names are matched literally, like any other.
- Activity files named in a folder export's ``activities.csv`` are read only when they lie
  inside the export folder (``Filename`` values such as ``../../secret`` are missing files).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from lbprun.exceptions import DataReadError
from lbprun.io._limits import MAX_DECOMPRESSED_BYTES, read_zip_member

__all__ = ["Export", "inside", "walk_files"]

#: Everything :mod:`zipfile` may raise on a hostile archive.
ZIP_ERRORS = (
    zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, IndexError, TypeError,
    RuntimeError, NotImplementedError, OverflowError, UnicodeError,
)  # fmt: skip


def inside(path: Path, folder: Path) -> bool:
    """True when ``path`` (links resolved) lies in ``folder`` (links resolved)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError, ValueError):
        return False


def walk_files(folder: Path, notes: list[str]) -> list[Path]:
    """Every regular file under ``folder``, sorted; links leading out of it are skipped."""
    found: list[Path] = []
    outside: list[str] = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        here = Path(top)
        for name in sorted(dirs):
            if (here / name).is_symlink():
                outside.append(str((here / name).relative_to(folder)))
        for name in files:
            path = here / name
            if path.is_symlink() and not inside(path, folder):
                outside.append(str(path.relative_to(folder)))
            elif path.is_file():
                found.append(path)
    if outside:
        notes.append(
            f"{folder}: {len(outside)} symbolic link(s) leading out of the folder (or to a "
            f"folder) were not followed: {', '.join(sorted(outside)[:10])}."
        )
    return sorted(found)


class Export:
    """A Strava export as a folder, a zip or a bare ``activities.csv``.

    Parameters
    ----------
    path : pathlib.Path
        The folder, the .zip or the CSV file.
    notes : list of str
        Receives remarks (links not followed, ``activities.csv`` read through a codec); kept
        as ``notes``.
    """

    def __init__(self, path: Path, notes: list[str]) -> None:
        self.path = path
        self.notes = notes
        self.zip: zipfile.ZipFile | None = None
        self.infos: dict[str, zipfile.ZipInfo] = {}
        self.folder: Path | None = None
        self.bare = False
        if path.is_dir():
            self.folder = path
            members = [p.relative_to(path).as_posix() for p in walk_files(path, notes)]
        elif _is_zip(path):
            try:
                self.zip = zipfile.ZipFile(path)
                for info in self.zip.infolist():
                    if not info.is_dir():
                        self.infos.setdefault(info.filename, info)
            except ZIP_ERRORS as error:
                raise DataReadError(f"{path}: not a readable zip file ({error}).") from None
            members = list(self.infos)
        else:  # a bare activities.csv: activity files are looked up next to it
            self.folder, self.bare = path.parent, True
            members = [path.name]
        csvs = sorted(
            (m for m in members if m.rsplit("/", 1)[-1].lower() == "activities.csv"),
            key=lambda m: m.count("/"),
        )
        if self.bare:
            csvs = [path.name]
        if not csvs:
            raise DataReadError(f"{path}: no activities.csv found (not a Strava export).")
        self.csv_name = csvs[0]
        self.root = self.csv_name.rsplit("/", 1)[0] + "/" if "/" in self.csv_name else ""
        self.members = set(members)

    @property
    def csv_label(self) -> str:
        """The CSV file, named as in messages."""
        if self.zip is not None:
            return f"{self.path}:{self.csv_name}"
        return str(self.path) if self.bare else str(self.path / self.csv_name)

    def has(self, member: str) -> bool:
        """True when the export holds ``member`` (inside the folder, for folders)."""
        if not self.bare:
            return member in self.members
        candidate = self.folder / member
        return candidate.is_file() and inside(candidate, self.folder)

    def read(self, member: str) -> bytes:
        """The bytes of ``member``; DataReadError naming the export and the member."""
        if self.zip is not None:
            return read_zip_member(self.zip, self.infos[member], str(self.path))
        path = self.path if self.bare and member == self.csv_name else self.folder / member
        try:
            if not inside(path, self.folder):
                raise OSError("it lies outside the export folder")
            if path.stat().st_size > MAX_DECOMPRESSED_BYTES:
                raise OSError("larger than lbprun reads")
            return path.read_bytes()
        except (OSError, ValueError) as error:
            raise DataReadError(f"{self.path}: cannot read {member} ({error}).") from None

    def close(self) -> None:
        """Close the zip archive, if any."""
        if self.zip is not None:
            self.zip.close()


def _is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as error:
        raise DataReadError(f"{path}: cannot be read ({error}).") from None
    return head.startswith(b"PK") or path.suffix.lower() == ".zip"
