// Which backup a restore takes: by id, by time (the newest at or before it) or the newest.
// Pure, so that it is unit-tested in depth and usable anywhere.
import { BadInput } from '../../core/errors';
import type { BackupInfo } from './types';

/** No backup matches what was asked for (exit 2). */
export class NoSuchBackup extends BadInput {}

export function pickBackup(
  set: string,
  backups: readonly BackupInfo[],
  sel: { id?: string; at?: number },
  damaged: ReadonlyArray<{ id: string; reason: string }> = [],
): BackupInfo {
  const broken = sel.id ? damaged.find((d) => d.id === sel.id) : undefined;
  if (broken) {
    throw new NoSuchBackup(
      `backup ${broken.id} of ${set} is damaged: ${broken.reason}; nothing was written (see hactl backup verify ${set})`,
    );
  }
  const sorted = [...backups].sort(
    (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : 1),
  );
  if (sorted.length === 0) throw new NoSuchBackup(`set ${set} has no backups yet`);
  if (sel.id) {
    const hit = sorted.find((b) => b.id === sel.id);
    if (!hit)
      throw new NoSuchBackup(
        `set ${set} has no backup ${sel.id}; newest is ${sorted.at(-1)!.id} (see hactl backup list ${set})`,
      );
    return hit;
  }
  if (sel.at !== undefined) {
    const eligible = sorted.filter((b) => Date.parse(b.createdAt) <= sel.at!);
    if (eligible.length === 0) {
      throw new NoSuchBackup(
        `no backup of ${set} at or before ${new Date(sel.at).toISOString()}; available: ${sorted[0]!.createdAt} (${sorted[0]!.id}) ` +
          `to ${sorted.at(-1)!.createdAt} (${sorted.at(-1)!.id}), ${sorted.length} backup(s)`,
      );
    }
    return eligible.at(-1)!;
  }
  return sorted.at(-1)!;
}
