"""Which day files of an export were analysed, so a re-run resumes instead of repeating."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow
from bot.observations.models import BigId


class ExportFile(Base):
    """One day file of an export, fully classified and stored."""

    __tablename__ = "export_files"
    __table_args__ = (UniqueConstraint("workspace_id", "file", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    file: Mapped[str] = mapped_column(String(300))
    # Size and checksum (zip) or size and modification time (folder) of the file read.
    fingerprint: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
