"""Parquet snapshots of stored waves, kept on disk for the wave analyses.

An analysis reads the wave's ``responses.parquet`` export (``survey_exports.write_wave``).
Writing that file is most of an analysis's cost on a large wave (the database reads every
response), while the engine's pass over the file is short. So the file is kept under the
data directory and reused while the wave holds the same responses.

Responses are only ever added to a wave (none is edited or deleted), so the wave's
response count and largest response id name its content: a snapshot's file name holds
both. A wave that gained responses since its last snapshot gets a new file made of the
last one's rows and the new responses read from the database (those numbered above its
largest id), which costs a copy of the file rather than the whole export; when the rows
up to that id are not exactly the ones the last file holds (a response that committed
after a later-numbered one, on PostgreSQL), the file is written afresh. The folder is named
by the database (its URL without the password), the wave id, its survey version and its
creation instant, so two databases sharing a data directory, or a database created again,
never read each other's files. A new file is written beside the old one and renamed into
place (a reader never sees half a file); older files of the wave are removed then.

Without a folder (``WaveSnapshots()``) every analysis writes a temporary snapshot of its
own, as before.

The desk clock keeps the kept snapshots fresh as responses arrive
(:meth:`WaveSnapshots.refresh_kept`, after each escalation sweep): a wave analysed once
has its snapshot extended in the background, so that the next request finds it current.
A wave never analysed gets none (its first analysis writes it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from touchpoint.services.base import get_or_404
from touchpoint.services.errors import NotFoundError
from touchpoint.services.survey_exports import BATCH_ROWS, ExportFormat, wave_rows, write_wave
from touchpoint.storage.survey_models import SurveyResponse, SurveyWave

__all__ = ["WaveSnapshots"]

_SUFFIX = ".parquet"


@dataclass(frozen=True, slots=True)
class _Key:
    """What names a snapshot: its folder (database and wave) and file (content)."""

    folder: str
    count: int
    last_id: int

    @property
    def file_name(self) -> str:
        return f"responses-{self.count}-{self.last_id}{_SUFFIX}"


@dataclass(frozen=True, slots=True)
class WaveSnapshots:
    """The folder of the waves' Parquet snapshots (``None``: a temporary file a time)."""

    root: Path | None = None

    @property
    def sql_cache(self) -> Path | None:
        """Where the engine keeps the SQL it compiles for the analyses (beside the
        snapshots; ``None``, compiled every time, without a folder)."""
        return None if self.root is None else self.root / "sql"

    @contextlib.contextmanager
    def snapshot(self, session: Session, wave_id: int) -> Iterator[Path]:
        """The path of a Parquet file holding the wave's export as it stands, valid
        inside the ``with`` block. The read's transaction is ended before the block
        runs (the analysis that follows needs no database)."""
        if self.root is None:
            with tempfile.TemporaryDirectory(prefix="touchpoint-wave-") as folder:
                path = Path(folder) / "responses.parquet"
                with path.open("wb") as out:
                    write_wave(session, wave_id, ExportFormat.PARQUET, out)
                session.rollback()
                yield path
            return
        path = _current(self.root, session, wave_id)
        session.rollback()
        yield path

    def refresh_kept(self, session: Session) -> int:
        """Bring the kept snapshot of every wave analysed before up to date with its
        responses (extended, as an analysis would); the number of snapshots written.
        A wave is looked at only when its largest response id passed its snapshot's (one
        index seek a wave; an analysis still checks the count itself). Folders of another
        database, or of a wave it no longer holds, are left alone."""
        if self.root is None or not self.root.is_dir():
            return 0
        written = 0
        for wave_id in _kept_wave_ids(self.root):
            try:
                kept = _latest(self.root / _folder_name(session, wave_id))
            except NotFoundError:
                continue
            newest = session.scalar(
                select(func.max(SurveyResponse.id)).where(SurveyResponse.wave_id == wave_id)
            )
            if kept is not None and (newest or 0) > kept.last_id:
                _current(self.root, session, wave_id)
                written += 1
            session.rollback()  # each wave's reads in a transaction of their own
        return written


def _kept_wave_ids(root: Path) -> list[int]:
    """The waves with a snapshot folder under ``root`` (of any database)."""
    ids = set()
    for folder in root.glob("wave-*-*"):
        number = folder.name.split("-")[1]
        if folder.is_dir() and number.isdigit():
            ids.add(int(number))
    return sorted(ids)


def _current(root: Path, session: Session, wave_id: int) -> Path:
    """The wave's snapshot under ``root``, made first when the wave has changed since the
    last one (or there is none)."""
    key = _key(session, wave_id)
    folder = root / key.folder
    path = folder / key.file_name
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    base = _extendable(session, wave_id, folder, key)
    handle, partial = tempfile.mkstemp(prefix=".writing-", suffix=_SUFFIX, dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            _write(session, wave_id, key, base, out)
        Path(partial).replace(path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    for old in folder.glob(f"responses-*{_SUFFIX}"):
        if old.name != path.name:
            old.unlink(missing_ok=True)
    return path


def _extendable(session: Session, wave_id: int, folder: Path, key: _Key) -> _Kept | None:
    """The folder's latest snapshot when it holds exactly the wave's responses up to its
    largest id (so the responses above that id are all it lacks), else None."""
    latest = _latest(folder)
    if latest is None or latest.last_id >= key.last_id:
        return None
    count = session.execute(
        select(func.count()).where(
            SurveyResponse.wave_id == wave_id, SurveyResponse.id <= latest.last_id
        )
    ).scalar_one()
    return latest if count == latest.count else None


def _write(session: Session, wave_id: int, key: _Key, base: _Kept | None, out: Any) -> None:
    """The snapshot's rows: ``base``'s followed by the responses above its largest id (up
    to the key's), or the wave's whole export without a usable ``base``."""
    after = 0 if base is None else base.last_id
    schema, batches = wave_rows(session, wave_id, after_id=after, through_id=key.last_id)
    old = None if base is None else pq.ParquetFile(base.path)
    if old is not None and not old.schema_arrow.equals(schema, check_metadata=False):
        old, batches = None, wave_rows(session, wave_id, through_id=key.last_id)[1]
    with pq.ParquetWriter(out, schema) as writer:
        if old is not None:
            for batch in old.iter_batches(batch_size=BATCH_ROWS):
                writer.write_batch(batch)
        for batch in batches:
            writer.write_batch(batch)


@dataclass(frozen=True, slots=True)
class _Kept:
    """A snapshot on disk and the content its name states."""

    path: Path
    count: int
    last_id: int


def _latest(folder: Path) -> _Kept | None:
    """The folder's snapshot with the largest last id (None: no snapshot)."""
    kept = [k for k in map(_kept, folder.glob(f"responses-*{_SUFFIX}")) if k is not None]
    return max(kept, key=lambda k: k.last_id, default=None)


def _kept(path: Path) -> _Kept | None:
    parts = path.name.removesuffix(_SUFFIX).split("-")
    if len(parts) != 3 or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return _Kept(path, int(parts[1]), int(parts[2]))


def _folder_name(session: Session, wave_id: int) -> str:
    """The wave's snapshot folder: named by the database (its URL without the password)
    and the wave's id, survey version and creation instant."""
    wave = get_or_404(session, SurveyWave, wave_id)
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    origin = f"{database}|{wave.id}|{wave.survey_id}|{wave.survey_version}|{wave.created_at}"
    return f"wave-{wave_id}-{hashlib.sha256(origin.encode()).hexdigest()[:16]}"


def _key(session: Session, wave_id: int) -> _Key:
    """The wave's snapshot name: one aggregate over the wave's index."""
    folder = _folder_name(session, wave_id)
    count, last_id = session.execute(
        select(func.count(), func.max(SurveyResponse.id)).where(SurveyResponse.wave_id == wave_id)
    ).one()
    return _Key(folder, int(count or 0), int(last_id or 0))
