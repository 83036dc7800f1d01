// `hactl status`: each capability's section (hosts, backup sets, ...) and the schedules that
// apply manages, with their last and next run.
import type { Client, ScheduleSummary } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import { MEMO, PRODUCT } from '../core/names';
import type { ScheduleStatus, StatusContext, StatusSection } from './capability';
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

function fromSummary(s: ScheduleSummary): ScheduleStatus {
  const last = s.info.recentActions.at(-1);
  return {
    id: s.scheduleId,
    paused: s.state.paused,
    nextRunAt: s.info.nextActionTimes[0]?.toISOString() ?? null,
    lastRunAt: last ? last.takenAt.toISOString() : null,
  };
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

/** One listing of every schedule (pages of a thousand), shared by the sections that need it. */
export function statusContext(client: Client): StatusContext {
  let all: Promise<Map<string, ScheduleSummary>> | undefined;
  const schedules = (): Promise<Map<string, ScheduleSummary>> =>
    (all ??= (async () => {
      const m = new Map<string, ScheduleSummary>();
      for await (const s of client.schedule.list({ pageSize: 1000 })) m.set(s.scheduleId, s);
      return m;
    })());
  return {
    schedules,
    async scheduleStatus(ids) {
      const listed = await schedules();
      const out = new Map<string, ScheduleStatus>();
      const missing: string[] = [];
      for (const id of ids) {
        const s = listed.get(id);
        if (s) out.set(id, fromSummary(s));
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
): Promise<StatusReport> {
  const ctx = statusContext(client);
  // The schedules the config asks for; without a config, those on the server that apply manages.
  const ids = async (): Promise<string[]> =>
    desired
      ? desired.filter((d) => d.type === 'schedule').map((d) => d.id)
      : [...(await ctx.schedules()).values()]
          .filter((s) => s.memo?.[MEMO.managedBy] === PRODUCT)
          .map((s) => s.scheduleId);
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
