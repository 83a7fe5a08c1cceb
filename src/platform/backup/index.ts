export { createBackup, type BackupOptions } from './create-backup.ts';
export { BackupRefused, restoreBackup, type RestoreOptions } from './restore-backup.ts';
export type { Manifest } from './snapshot.ts';
