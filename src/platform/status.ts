// `hactl status`: each capability's section (hosts, backup sets, ...) and the schedules that
// apply manages, with their last and next run.
import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { MEMO, PRODUCT } from '../core/names';
import { SA } from '../core/search-attribute-names';
import type { ListedSchedule, ScheduleStatus, StatusContext, StatusSection } from './capability';
import { mapLimit, SERVER_CONCURRENCY } from './concurrency';

export type { ScheduleStatus };
import type { BaseConfig } from './config/load';
import type { Desired } from './reconcile/desired';
import { formatTable } from './cli/table';

export interface StatusReport {
  generatedAt: string;
  namespace: string;
  /** Sections by key (hosts, backups, ...). */
  [section: string]: unknown;
  schedules: ScheduleStatus[];
}

type Timestamp = temporal.api.schedule.v1.IScheduleActionResult['actualTime'];

export const iso = (t: Timestamp | null | undefined): string | null =>
  t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString() : null;

/**
 * One entry of the raw listing, read for what status shows. The SDK's own listing also decodes
 * every entry's spec and search attributes: a third of the time for a fleet's thousand schedules.
 */
async function fromListEntry(
  client: Client,
  e: temporal.api.schedule.v1.IScheduleListEntry,
): Promise<ListedSchedule> {
  return {
    status: {
      id: e.scheduleId ?? '',
      paused: e.info?.paused === true,
      nextRunAt: iso(e.info?.futureActionTimes?.[0]),
      lastRunAt: iso(e.info?.recentActions?.at(-1)?.actualTime),
    },
    managed: (await payloadValue(client, e.memo?.fields?.[MEMO.managedBy])) === PRODUCT,
    recentRuns: (e.info?.recentActions ?? [])
      .map((a) => ({
        workflowId: a.startWorkflowResult?.workflowId ?? '',
        runId: a.startWorkflowResult?.runId ?? '',
      }))
      .filter((r) => r.workflowId && r.runId)
      .reverse(),
  };
}

const JSON_PLAIN = 'json/plain';

/**
 * A memo or search attribute value of a raw listing: plain JSON read directly; anything else
 * (encrypted) through the converter; undefined where it cannot be read.
 */
export async function payloadValue(
  client: Client,
  p: temporal.api.common.v1.IPayload | null | undefined,
): Promise<unknown> {
  if (!p) return undefined;
  try {
    const encoding = p.metadata?.encoding;
    if (encoding && Buffer.from(encoding).toString() === JSON_PLAIN && p.data)
      return JSON.parse(Buffer.from(p.data).toString());
    return (await decodeArrayFromPayloads(client.options.loadedDataConverter, [p]))[0];
  } catch {
    return undefined; // not ours to read: not managed by us
  }
}

/**
 * Every running controller of one kind, by name (its workflow ID less `prefix`), with the view
 * its memo keeps (undefined: a run from before controllers kept one). One listing for a whole
 * fleet, where a query to each controller costs the server and the workflow workers a round
 * trip each; and it answers while no workflow worker runs. The memo is written in the same
 * workflow task as the change, and the listing shows it a moment later.
 */
export async function controllerViews<T>(
  client: Client,
  kind: string,
  prefix: string,
): Promise<Map<string, T | undefined>> {
  const out = new Map<string, T | undefined>();
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query: `${SA.kind} = '${kind}' AND ExecutionStatus = 'Running'`,
      pageSize: 1000,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const e of page.executions ?? []) {
      const id = e.execution?.workflowId ?? '';
      if (!id.startsWith(prefix)) continue;
      const view = (await payloadValue(client, e.memo?.fields?.[MEMO.view])) as T | undefined;
      out.set(id.slice(prefix.length), view ?? undefined);
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return out;
}

/** controllerViews, read once per status (a section's prefetch may have started it). */
export function sharedViews<T>(
  client: Client,
  ctx: StatusContext,
  kind: string,
  prefix: string,
): Promise<Map<string, T | undefined>> {
  return ctx.shared(`views:${kind}:${prefix}`, () => controllerViews<T>(client, kind, prefix));
}

/**
 * The views of these controllers (default: every running one, in name order): each from its
 * memo, or, where it keeps none, from `query` (which throws for a controller that does not run).
 */
export async function viewsOf<T>(
  client: Client,
  ctx: StatusContext,
  kind: string,
  prefix: string,
  names: readonly string[] | undefined,
  query: (name: string) => Promise<T>,
): Promise<T[]> {
  const views = await sharedViews<T>(client, ctx, kind, prefix);
  return mapLimit(names ?? [...views.keys()].sort(), SERVER_CONCURRENCY, (n) => {
    const v = views.get(n);
    return v !== undefined ? Promise.resolve(v) : query(n);
  });
}

async function describeSchedule(client: Client, id: string): Promise<ScheduleStatus | undefined> {
  try {
    const d = await client.schedule.getHandle(id).describe();
    const last = d.info.recentActions.at(-1);
    return {
      id,
      paused: d.state.paused,
      nextRunAt: d.info.nextActionTimes[0]?.toISOString() ?? null,
      lastRunAt: last ? last.takenAt.toISOString() : null,
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/**
 * One listing of every schedule (pages of a thousand), shared by the sections that need it.
 * It starts on the first call: `hactl status` calls it before it reads the config, so that the
 * server lists while the CLI parses.
 */
export function statusContext(client: Client): StatusContext {
  let all: Promise<Map<string, ListedSchedule>> | undefined;
  const schedules = (): Promise<Map<string, ListedSchedule>> =>
    (all ??= (async () => {
      const m = new Map<string, ListedSchedule>();
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await client.workflowService.listSchedules({
          namespace: client.options.namespace,
          maximumPageSize: 1000,
          ...(nextPageToken ? { nextPageToken } : {}),
        });
        for (const e of await Promise.all((page.schedules ?? []).map((e) => fromListEntry(client, e))))
          m.set(e.status.id, e);
        nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      } while (nextPageToken);
      return m;
    })());
  const reads = new Map<string, Promise<unknown>>();
  return {
    schedules,
    shared<T>(key: string, load: () => Promise<T>): Promise<T> {
      let p = reads.get(key) as Promise<T> | undefined;
      if (!p) reads.set(key, (p = load()));
      return p;
    },
    async scheduleStatus(ids) {
      const listed = await schedules();
      const out = new Map<string, ScheduleStatus>();
      const missing: string[] = [];
      for (const id of ids) {
        const s = listed.get(id);
        if (s) out.set(id, s.status);
        else missing.push(id);
      }
      const read = await mapLimit(missing, SERVER_CONCURRENCY, (id) => describeSchedule(client, id));
      for (const s of read) if (s) out.set(s.id, s);
      return out;
    },
  };
}

/**
 * Collects every section. The schedules are those the config asks for; without a config,
 * those on the server that apply manages.
 */
export async function collectStatusOf(
  client: Client,
  sections: readonly StatusSection[],
  config: BaseConfig | undefined,
  desired: readonly Desired[] | undefined,
  now: number,
  ctx: StatusContext = statusContext(client),
): Promise<StatusReport> {
  // The schedules the config asks for; without a config, those on the server that apply manages.
  const ids = async (): Promise<string[]> =>
    desired
      ? desired.filter((d) => d.type === 'schedule').map((d) => d.id)
      : [...(await ctx.schedules()).values()].filter((s) => s.managed).map((s) => s.status.id);
  const [parts, found] = await Promise.all([
    Promise.all(sections.map(async (s) => [s.key, await s.collect(client, config, now, ctx)] as const)),
    ids().then((list) => ctx.scheduleStatus([...new Set(list)].sort())),
  ]);
  const schedules = [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
  return {
    generatedAt: new Date(now).toISOString(),
    namespace: client.options.namespace,
    ...Object.fromEntries(parts),
    schedules,
  };
}

/** The terminal form of a report: each section, then the schedules. Pure. */
export function renderStatus(report: StatusReport, sections: readonly StatusSection[]): string[] {
  const blocks = sections.map((s) => s.render(report[s.key])).filter((b) => b.length > 0);
  if (report.schedules.length) {
    blocks.push(
      formatTable(
        ['SCHEDULE', 'PAUSED', 'LAST RUN', 'NEXT RUN'],
        report.schedules.map((s) => [s.id, s.paused ? 'yes' : 'no', s.lastRunAt ?? '-', s.nextRunAt ?? '-']),
      ),
    );
  }
  return blocks.flatMap((b, i) => (i === 0 ? b : ['', ...b]));
}
