// The destination directory of a backup set:
//   <id>.tar.gz            the archive (a plain tar.gz)
//   <id>.manifest.json     written last: a backup exists exactly when this exists and matches
//   .<id>.*.partial        work in progress; never listed, removed by the next run
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { fsyncDir } from '../shared/fs';
import type { BackupInfo, Manifest } from '../../src/backup/model/types';
import {
  ARCHIVE_SUFFIX,
  BACKUP_ID_PATTERN,
  MANIFEST_FORMAT,
  MANIFEST_SUFFIX,
} from '../../src/backup/model/types';

export const PARTIAL_SUFFIX = '.partial';

export const archiveName = (id: string): string => `${id}${ARCHIVE_SUFFIX}`;
export const manifestName = (id: string): string => `${id}${MANIFEST_SUFFIX}`;
export const partialName = (id: string, what: string): string => `.${id}.${what}${PARTIAL_SUFFIX}`;

export function infoOf(m: Manifest): BackupInfo {
  const { entries: _e, format: _f, gzipMembers: _g, ...info } = m;
  return info;
}

export function readManifest(dir: string, id: string): Manifest {
  const m = JSON.parse(readFileSync(path.join(dir, manifestName(id)), 'utf8')) as Manifest;
  if (m.format !== MANIFEST_FORMAT || m.id !== id)
    throw new Error(`${manifestName(id)} is not a manifest of backup ${id}`);
  return m;
}

export interface Listing {
  backups: BackupInfo[];
  /** Manifests that could not be read, with the reason. */
  unreadable: Array<{ id: string; error: string }>;
  /** Manifests whose archive is missing or has the wrong size: not (any longer) backups. */
  damaged: Array<{ id: string; reason: string }>;
  /** Archives without a manifest (from interrupted runs): not backups. */
  orphans: string[];
  partials: string[];
}

/** Names in a destination; a missing destination is empty. */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Work of interrupted runs, from the names alone (no manifest is read). */
function leftovers(names: string[]): Pick<Listing, 'orphans' | 'partials'> {
  const have = new Set(names);
  const orphans = names
    .filter((n) => n.endsWith(ARCHIVE_SUFFIX) && BACKUP_ID_PATTERN.test(n.slice(0, -ARCHIVE_SUFFIX.length)))
    .map((n) => n.slice(0, -ARCHIVE_SUFFIX.length))
    .filter((id) => !have.has(manifestName(id)));
  const partials = names.filter((n) => n.startsWith('.') && n.endsWith(PARTIAL_SUFFIX));
  return { orphans, partials };
}

/** Backups in a destination, oldest first. A missing destination is an empty listing. */
export function listDestination(dir: string, set?: string): Listing {
  const names = namesIn(dir);
  const backups: BackupInfo[] = [];
  const unreadable: Listing['unreadable'] = [];
  const damaged: Listing['damaged'] = [];
  for (const n of names) {
    if (!n.endsWith(MANIFEST_SUFFIX)) continue;
    const id = n.slice(0, -MANIFEST_SUFFIX.length);
    if (!BACKUP_ID_PATTERN.test(id)) continue;
    try {
      const m = readManifest(dir, id);
      if (set && m.set !== set) continue;
      // A backup exists when its manifest exists *and matches*: a cheap size check here, the
      // full checksum in verify and before every restore.
      const size = fileSize(path.join(dir, archiveName(id)));
      if (size === undefined) damaged.push({ id, reason: `archive ${archiveName(id)} is missing` });
      else if (size !== m.archiveBytes) {
        damaged.push({
          id,
          reason: `archive ${archiveName(id)} has ${size} bytes, its manifest says ${m.archiveBytes} (truncated or altered)`,
        });
      } else backups.push(infoOf(m));
    } catch (err) {
      unreadable.push({ id, error: (err as Error).message });
    }
  }
  backups.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  damaged.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { backups, unreadable, damaged, ...leftovers(names) };
}

/** Attempt number in a partial name `.<id>.a<n>.<what>.partial`; 0 for older names. */
function attemptOf(name: string, id: string): number {
  const m = /^\.a(\d+)\./.exec(name.slice(id.length + 1));
  return m ? Number(m[1]) : 0;
}

/**
 * Removes leftovers of interrupted runs: partial files of other runs, partial files of earlier
 * attempts of this run (`keepId`, `attempt`), and archives whose manifest was never written.
 * Later attempts' files are never touched: an attempt that outlived its turn must not delete
 * the work of the one that replaced it. Safe because one backup per set runs at a time.
 */
export function cleanLeftovers(dir: string, keepId?: string, attempt = Infinity): string[] {
  const l = leftovers(namesIn(dir));
  const removed: string[] = [];
  for (const p of l.partials) {
    if (keepId && p.startsWith(`.${keepId}.`) && attemptOf(p, keepId) >= attempt) continue;
    try {
      unlinkSync(path.join(dir, p));
      removed.push(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  for (const id of l.orphans) {
    if (id === keepId) continue;
    unlinkSync(path.join(dir, archiveName(id)));
    removed.push(archiveName(id));
  }
  return removed;
}

/** Deletes a backup: manifest first, so that it stops being a backup before its archive goes. */
export function deleteBackup(dir: string, id: string): void {
  for (const name of [manifestName(id), archiveName(id)]) {
    try {
      unlinkSync(path.join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  fsyncDir(dir);
}

export function fileSize(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}
