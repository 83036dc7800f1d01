// Backup's part of `hactl status`: per set the newest verified backup, its age (the recovery
// point), the next scheduled run, and whether the last run failed. From server state only
// (workflow results and schedules), so that it works while hosts are down.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { formatAge } from '../core/format';
import { formatTable } from '../platform/cli/table';
import type { StatusContext, StatusSection } from '../platform/capability';
import { mapLimit, SERVER_CONCURRENCY } from '../platform/concurrency';
import { iso, payloadValue, statusContext } from '../platform/status';
import type { BaseConfig } from '../platform/config/load';
import type { BackupSection } from './desired';
import { backupMetrics } from './metrics';
import { BACKUP_IDS, BACKUP_MEMO, BACKUP_WORKFLOWS } from './model/ids';
import type { BackupResult, BackupSummary } from './model/types';
import { SA } from '../core/search-attributes';

export interface BackupSetStatus {
  set: string;
  host: string;
  newest: { id: string; createdAt: string; files: number; bytesOut: number; verified: boolean } | null;
  /** Age of the newest verified backup: the recovery point. */
  recoveryPointSeconds: number | null;
  lastFailure: { at: string; workflowId: string } | null;
  /** The latest run that has ended (backup:<set>, by hand or by the schedule). */
  lastRun: LastRun | null;
  nextRunAt: string | null;
  running: boolean;
}

export interface LastRun {
  /** COMPLETED, FAILED, TIMED_OUT, TERMINATED or CANCELLED. */
  status: string;
  startedAt: string;
  closedAt: string;
}

type Newest = BackupSetStatus['newest'];

function lastRunOf(w: Pick<WorkflowExecutionInfo, 'status' | 'startTime' | 'closeTime'>): LastRun | null {
  if (!w.closeTime) return null;
  return { status: w.status.name, startedAt: w.startTime.toISOString(), closedAt: w.closeTime.toISOString() };
}

function newestOf(r: BackupSummary): NonNullable<Newest> {
  return { id: r.id, createdAt: r.createdAt, files: r.files, bytesOut: r.bytesOut, verified: r.verified };
}

interface RunRef {
  workflowId: string;
  runId: string;
  memo?: Record<string, unknown>;
}

/** A completed run's summary: from its memo (runs since the memo came), else its result. */
async function summaryOf(client: Client, run: RunRef): Promise<NonNullable<Newest>> {
  const memo = run.memo?.[BACKUP_MEMO.summary] as BackupSummary | undefined;
  if (memo && typeof memo.id === 'string') return newestOf(memo);
  return newestOf((await client.workflow.getHandle(run.workflowId, run.runId).result()) as BackupResult);
}

interface SetRuns {
  newest: Newest;
  lastFailure: BackupSetStatus['lastFailure'];
  lastRun: LastRun | null;
  running: boolean;
}

/**
 * The newest backup of one set and the last failure after it. Its runs share the workflow ID
 * backup:<set>: usually the latest run says it all (one describe); only after a failure, or
 * while one runs, are the earlier runs listed.
 */
async function newestBackup(client: Client, set: string): Promise<SetRuns> {
  let latest;
  try {
    latest = await client.workflow.getHandle(BACKUP_IDS.backupWorkflow(set)).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      return { newest: null, lastFailure: null, lastRun: null, running: false };
    throw err;
  }
  if (latest.status.name === 'COMPLETED') {
    const newest = await summaryOf(client, latest);
    return { newest, lastFailure: null, lastRun: lastRunOf(latest), running: false };
  }
  let newest: Newest = null;
  let lastFailure: BackupSetStatus['lastFailure'] = null;
  let lastRun: LastRun | null = null;
  let running = false;
  const query = `WorkflowType = '${BACKUP_WORKFLOWS.backup}' AND ${SA.target} = '${set}'`;
  let seen = 0;
  for await (const w of client.workflow.list({ query })) {
    if (++seen > 50) break;
    if (w.closeTime && (!lastRun || w.closeTime.toISOString() > lastRun.closedAt)) lastRun = lastRunOf(w);
    if (w.status.name === 'RUNNING') running = true;
    else if (
      w.status.name === 'COMPLETED' &&
      (!newest || (w.closeTime && w.closeTime.toISOString() > newest.createdAt))
    ) {
      const r = await summaryOf(client, w);
      if (!newest || r.createdAt > newest.createdAt) newest = r;
    } else if ((w.status.name === 'FAILED' || w.status.name === 'TIMED_OUT') && w.closeTime) {
      if (!lastFailure || w.closeTime.toISOString() > lastFailure.at)
        lastFailure = { at: w.closeTime.toISOString(), workflowId: `${w.workflowId}/${w.runId}` };
    }
  }
  if (lastFailure && newest && lastFailure.at < newest.createdAt) lastFailure = null;
  return { newest, lastFailure, lastRun, running };
}

/** Runs of the whole fleet read in one listing before sets are read one by one. */
const LISTING_CAP = 5_000;

interface Listed {
  running: boolean;
  lastRun: LastRun | null;
  lastFailure: BackupSetStatus['lastFailure'];
  completed: RunRef | null;
}

/** The names the SDK gives WorkflowExecutionStatus codes (the raw listing carries the codes). */
const STATUS_NAMES = [
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
  'PAUSED',
];

/**
 * What one listing of every backup run says of each set. The visibility stores list newest
 * first (open runs, then by close time, latest first), so a set's first completed run is its
 * newest and a failure seen before it came after it. The listing stops once every set has a
 * completed run, at its end (`exhausted`: a set not in it never ran), or after LISTING_CAP runs.
 * It is the raw call: the SDK's listing decodes every run's memo and search attributes, and a
 * fleet's thousand runs need one attribute each and the memo of one run per set.
 */
async function listAllRuns(
  client: Client,
  ctx: StatusContext,
  sets: ReadonlySet<string>,
  cap: number,
): Promise<{ listed: Map<string, Listed>; exhausted: boolean }> {
  const listed = new Map<string, Listed>();
  let settled = 0;
  let read = 0;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await (nextPageToken ? runsPage(client, nextPageToken) : firstRunsPage(client, ctx));
    for (const e of page.executions ?? []) {
      if (await noteRun(client, listed, sets, e)) settled++;
      if (settled === sets.size || ++read >= cap) return { listed, exhausted: false };
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { listed, exhausted: true };
}

const RUNS_PAGE = 1000;

function runsPage(client: Client, nextPageToken?: Uint8Array) {
  return client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query: `WorkflowType = '${BACKUP_WORKFLOWS.backup}'`,
    pageSize: RUNS_PAGE,
    ...(nextPageToken ? { nextPageToken } : {}),
  });
}

/** The first page (all a fleet's sets usually need), read once; `hactl status` starts it early. */
const firstRunsPage = (client: Client, ctx: StatusContext): ReturnType<typeof runsPage> =>
  ctx.shared('backup:runs:first-page', () => runsPage(client));

/**
 * Adds one listed run to its set, unless the set already has its newest completed run (runs
 * come newest first). True when this run is that completed run.
 */
async function noteRun(
  client: Client,
  listed: Map<string, Listed>,
  sets: ReadonlySet<string>,
  e: temporal.api.workflow.v1.IWorkflowExecutionInfo,
): Promise<boolean> {
  const target = await payloadValue(client, e.searchAttributes?.indexedFields?.[SA.target]);
  const set = Array.isArray(target) ? (target[0] as unknown) : target;
  if (typeof set !== 'string' || !sets.has(set)) return false;
  let l = listed.get(set);
  if (!l) listed.set(set, (l = { running: false, lastRun: null, lastFailure: null, completed: null }));
  if (l.completed) return false;
  const status = STATUS_NAMES[e.status ?? 0] ?? 'UNSPECIFIED';
  if (status === 'RUNNING') {
    l.running = true;
    return false;
  }
  const closedAt = iso(e.closeTime);
  if (closedAt) l.lastRun ??= { status, startedAt: iso(e.startTime) ?? closedAt, closedAt };
  const [workflowId, runId] = [e.execution?.workflowId ?? '', e.execution?.runId ?? ''];
  if (status === 'COMPLETED') {
    const memo = await payloadValue(client, e.memo?.fields?.[BACKUP_MEMO.summary]);
    l.completed = { workflowId, runId, memo: memo === undefined ? {} : { [BACKUP_MEMO.summary]: memo } };
    return true;
  }
  if ((status === 'FAILED' || status === 'TIMED_OUT') && closedAt)
    l.lastFailure ??= { at: closedAt, workflowId: `${workflowId}/${runId}` };
  return false;
}

/**
 * Every set of the config: from one listing of the fleet's backup runs (a thousand sets in a
 * page or two); a set the listing leaves open (it was cut short before the set's newest
 * completed run, or shows a run that may have just ended) is read by itself.
 */
export async function backupStatus(
  client: Client,
  config: BaseConfig & BackupSection,
  nowMs = Date.now(),
  ctx: StatusContext = statusContext(client),
  /** Runs read in the one listing (tests make it small to reach the per-set reads). */
  listingCap = LISTING_CAP,
): Promise<BackupSetStatus[]> {
  const [schedules, { listed, exhausted }] = await Promise.all([
    ctx.scheduleStatus(config.backups.map((b) => BACKUP_IDS.backupSchedule(b.spec.set))),
    listAllRuns(client, ctx, new Set(config.backups.map((b) => b.spec.set)), listingCap),
  ]);
  return mapLimit(config.backups, SERVER_CONCURRENCY, async (b): Promise<BackupSetStatus> => {
    const set = b.spec.set;
    const l = listed.get(set);
    let runs: SetRuns;
    if (l?.completed && !l.running)
      runs = { ...l, newest: await summaryOf(client, l.completed), running: false };
    else if (!l?.running && exhausted)
      runs = {
        newest: null,
        lastFailure: l?.lastFailure ?? null,
        lastRun: l?.lastRun ?? null,
        running: false,
      };
    else runs = await newestBackup(client, set);
    const { newest, lastFailure, lastRun, running } = runs;
    return {
      set,
      host: b.spec.host,
      newest,
      recoveryPointSeconds: newest
        ? Math.max(0, Math.round((nowMs - Date.parse(newest.createdAt)) / 1000))
        : null,
      lastFailure,
      lastRun,
      nextRunAt: schedules.get(BACKUP_IDS.backupSchedule(set))?.nextRunAt ?? null,
      running,
    };
  });
}

/** The backup sets table of `hactl status`; nothing when there are no sets. Pure. */
export function renderBackupStatus(sets: BackupSetStatus[]): string[] {
  if (sets.length === 0) return [];
  return formatTable(
    ['BACKUP SET', 'HOST', 'NEWEST VERIFIED', 'RECOVERY POINT', 'NEXT RUN', 'NOTE'],
    sets.map((b) => [
      b.set,
      b.host,
      b.newest ? `${b.newest.id}` : '-',
      formatAge(b.recoveryPointSeconds),
      b.nextRunAt ?? 'not scheduled',
      [b.running ? 'running now' : '', b.lastFailure ? `last run failed ${b.lastFailure.at}` : '']
        .filter(Boolean)
        .join('; '),
    ]),
  );
}

export const backupStatusSection: StatusSection<BackupSection, BackupSetStatus[]> = {
  key: 'backups',
  prefetch(client, ctx) {
    void firstRunsPage(client, ctx).catch(() => undefined);
  },
  collect: async (client, config, now, ctx) => (config ? backupStatus(client, config, now, ctx) : []),
  render: renderBackupStatus,
  metrics: backupMetrics,
};
