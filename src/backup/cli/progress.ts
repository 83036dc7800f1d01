// What `hactl backup run --wait`, `hactl restore --wait` and `hactl backup verify` show while
// they wait: the running step of the workflow and the numbers its activity heartbeats
// (activities/backup: archive, verify, restore extraction). Pure, but for `backupProgress`,
// which asks the server.
import type { Client } from '@temporalio/client';
import type { PendingActivity, ProgressUpdate } from '../../platform/cli/progress-watch';
import { pendingActivities } from '../../platform/cli/progress-watch';
import { formatBytes, formatEta, NO_PAINT, SampleRenderer } from '../../platform/cli/progress';
import type { Paint, ProgressSample } from '../../platform/cli/progress';
import type { BackupResult, RestoreInPlaceResult, RestoreResult, VerifyReport } from '../model/types';

const STEPS: Record<string, string> = {
  backupRunHook: 'running a hook',
  backupCreateArchive: 'archiving',
  backupVerifyArchive: 'verifying the archive',
  backupWriteManifest: 'writing the manifest',
  backupApplyRetention: 'applying retention',
  backupRestoreExtract: 'extracting',
  backupRestoreSwap: 'swapping in',
  backupRestoreAbandon: 'cleaning up',
  backupVerify: 'verifying',
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** Only the fields that are there: the sample type does not take explicit undefineds. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** One pending activity of a backup, restore or verify run as a progress sample. */
export function activitySample(a: PendingActivity, host: string, now: number): ProgressSample {
  const d = (a.details && typeof a.details === 'object' ? a.details : {}) as Record<string, unknown>;
  let label = STEPS[a.type] ?? a.type;
  const s: Omit<ProgressSample, 'at' | 'label'> = {};
  switch (a.type) {
    case 'backupCreateArchive':
      if (d.phase === 'commands') label = 'running commands';
      Object.assign(
        s,
        defined({
          files: num(d.files),
          filesTotal: num(d.filesTotal),
          bytes: num(d.bytesIn),
          bytesTotal: num(d.bytesTotal),
        }),
      );
      break;
    case 'backupVerifyArchive':
      Object.assign(s, defined({ bytes: num(d.verified), bytesTotal: num(d.total) }));
      break;
    case 'backupRestoreExtract':
      Object.assign(
        s,
        defined({
          files: num(d.files),
          filesTotal: num(d.filesTotal),
          bytes: num(d.bytes),
          bytesTotal: num(d.bytesTotal),
        }),
      );
      break;
    case 'backupVerify': {
      const done = num(d.done);
      const of = num(d.of);
      if (str(d.verifying)) label = `verifying ${str(d.verifying)}`;
      if (done !== undefined && of !== undefined) label += ` (${done + 1}/${of})`;
      Object.assign(s, defined({ bytes: num(d.bytes), bytesTotal: num(d.bytesTotal) }));
      break;
    }
  }
  const notes: string[] = [];
  if (a.state === 'scheduled') notes.push(`waiting for a worker on host ${host}`);
  if (a.attempt > 1)
    notes.push(`attempt ${a.attempt}${a.lastFailure ? ` (last: ${a.lastFailure.slice(0, 80)})` : ''}`);
  return { at: a.heartbeatAt ?? now, label, ...s, ...(notes.length ? { note: notes.join('; ') } : {}) };
}

/** The line for a run's pending activities; null when none is pending (between steps). */
export function backupUpdate(
  pending: readonly PendingActivity[],
  host: string,
  renderer: SampleRenderer,
  paint: Paint = NO_PAINT,
  now = Date.now(),
): ProgressUpdate | null {
  // The long step, if several are pending; otherwise the first.
  const a = pending.find((p) => p.type in STEPS) ?? pending[0];
  if (!a) return null;
  const s = activitySample(a, host, now);
  return { line: renderer.render(s, paint), key: s.label };
}

/** Polls the workflow's pending activities and renders them (for followProgress). */
export function backupProgress(client: Client, workflowId: string, host: string, runId?: string) {
  const renderer = new SampleRenderer();
  return async (paint: Paint): Promise<ProgressUpdate | null> =>
    backupUpdate(await pendingActivities(client, workflowId, runId), host, renderer, paint);
}

const rate = (bytes: number, ms: number): string => (ms > 0 ? `, ${formatBytes((bytes * 1000) / ms)}/s` : '');

export function backupFinal(r: BackupResult): string {
  return `backup ${r.id} done: ${r.files} files, ${formatBytes(r.bytesIn)} read, ${formatBytes(r.bytesOut)} written in ${formatEta(r.durationMs)}${rate(r.bytesIn, r.durationMs)}`;
}

export function restoreFinal(r: RestoreResult): string {
  return `restore done: ${r.files} files, ${formatBytes(r.bytes)} into ${r.target} in ${formatEta(r.durationMs)}${rate(r.bytes, r.durationMs)}`;
}

export function restoreInPlaceFinal(r: RestoreInPlaceResult): string {
  return `restore done: ${r.restored.length} source(s) in place in ${formatEta(r.durationMs)}`;
}

export function verifyFinal(reports: readonly VerifyReport[]): string {
  const bad = reports.filter((r) => r.status !== 'ok').length;
  return `verify done: ${reports.length} backup(s) read, ${reports.length - bad} ok${bad ? `, ${bad} not ok` : ''}`;
}
