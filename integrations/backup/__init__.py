"""Backup and restore of a Guichet installation: `guichet backup` / `guichet restore`
(docs/backup.md). The database dump (pg_dump or the SQLite backup API), the file folders and a
checked manifest in one archive."""

from integrations.backup.archive import RestoreReport, create_backup, default_output, restore_backup
from integrations.backup.manifest import BackupError, Manifest

__all__ = ["BackupError", "Manifest", "RestoreReport", "create_backup", "default_output", "restore_backup"]
