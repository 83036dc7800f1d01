// What `hactl backup ...` and `hactl restore` print. Pure: every function returns lines.
import { formatBytes, formatDuration } from '../../core/format';
import { formatTable } from '../../platform/cli/table';
import type { RetentionDecision } from '../model/retention';
import type { BackupListResult } from '../../../workflows/backup/backup-admin';
import type { BackupResult, RestoreInPlaceResult, RestoreResult, VerifyReport } from '../model/types';

export function renderBackupResult(r: BackupResult): string[] {
  const lines = [
    `backup ${r.id} of ${r.set} on ${r.host}: ${r.files} files, ${formatBytes(r.bytesIn)} in, ${formatBytes(r.bytesOut)} archive, ${formatDuration(r.durationMs)}`,
  ];
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  if (r.retention.removed.length) lines.push(`  retention removed: ${r.retention.removed.join(', ')}`);
  for (const h of r.hooks)
    if (!h.ok) lines.push(`  hook ${h.argv.join(' ')} failed (exit ${h.exitCode}), continued`);
  return lines;
}

export function renderRestoreResult(r: RestoreResult): string[] {
  const lines = [
    `restored backup ${r.id} of ${r.set} into ${r.target} on ${r.host}: ${r.files} files, ${r.dirs} dirs, ${r.symlinks} symlinks, ${formatBytes(r.bytes)} in ${formatDuration(r.durationMs)}`,
  ];
  if (r.previous) lines.push(`  previous content kept in ${r.previous}`);
  return lines;
}

export function renderRestoreInPlaceResult(r: RestoreInPlaceResult): string[] {
  return [
    `restored backup ${r.id} of ${r.set} in place on ${r.host} in ${formatDuration(r.durationMs)}:`,
    ...r.restored.map(
      (x) =>
        `  ${x.target}: ${x.files} files, ${x.dirs} dirs, ${x.symlinks} symlinks, ${formatBytes(x.bytes)}${x.previous ? `; previous content kept in ${x.previous}` : ''}`,
    ),
  ];
}

export function renderListing(
  l: BackupListResult,
  set: string,
  where: { destination: string; host: string },
): string[] {
  const lines =
    l.backups.length === 0
      ? [`no backups of ${set} in ${where.destination} on ${where.host}`]
      : formatTable(
          ['ID', 'CREATED', 'FILES', 'DATA', 'ARCHIVE', 'WARNINGS'],
          l.backups.map((x) => [
            x.id,
            x.createdAt,
            String(x.files),
            formatBytes(x.bytesIn),
            formatBytes(x.archiveBytes),
            String(x.warnings.length),
          ]),
        );
  for (const u of l.unreadable) lines.push(`unreadable manifest ${u.id}: ${u.error}`);
  for (const d of l.damaged) lines.push(`damaged, not a backup any more: ${d.id}: ${d.reason}`);
  if (l.orphans.length)
    lines.push(
      `archives without a manifest (interrupted runs, removed by the next backup): ${l.orphans.join(', ')}`,
    );
  return lines;
}

export function renderVerify(reports: VerifyReport[], set: string): string[] {
  if (reports.length === 0) return [`no backups of ${set} to verify`];
  return formatTable(
    ['ID', 'STATUS', 'DETAIL'],
    reports.map((r) => [r.id, r.status, r.detail]),
  );
}

export function renderPrune(decisions: RetentionDecision[], dryRun: boolean): string[] {
  return [
    ...formatTable(
      ['ID', 'CREATED', 'DECISION', 'KEPT BY'],
      decisions.map((d) => [
        d.id,
        d.createdAt,
        d.keep ? 'keep' : dryRun ? 'would remove' : 'removed',
        d.reasons.join(', '),
      ]),
    ),
    `${decisions.filter((d) => d.keep).length} kept, ${decisions.filter((d) => !d.keep).length} ${dryRun ? 'to remove (dry run)' : 'removed'}`,
  ];
}

export function renderDrill(r: RestoreResult, set: string): string[] {
  return [
    `drill ok: backup ${r.id} of ${set} restored and checked (${r.files} files, ${formatBytes(r.bytes)}) in ${formatDuration(r.durationMs)}`,
  ];
}
