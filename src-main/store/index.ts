/** Public face of the store: the one SQLite database, its migrations, and backup/restore of the whole state. */
export { Store, StoreCorruptError, STORE_MIGRATIONS, openSqlite, APPLICATION_ID, DATABASE_FILE, BACKUPS_DIR, type StoreOptions } from './database'
export { SchemaTooNewError, type Migration } from './migrations'
export { HISTORY_MARK_FILE, readHistoryMark, raiseHistoryMark, type HistoryMark } from './history-mark'
export {
  BackupError,
  createBackup,
  listBackups,
  verifyBackup,
  restoreBackup,
  restoreIntoDamagedHome,
  resolveBackupPath,
  type BackupInfo,
  type BackupVerdict,
  type RestoreResult,
} from './backup'
