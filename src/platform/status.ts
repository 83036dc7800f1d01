// `hactl status`: each capability's section (hosts, backup sets, ...) and the schedules that
// apply manages, with their last and next run.
import type { Client } from '@temporalio/client';
import { ScheduleNotFoundError } from '@temporalio/client';
import { MEMO, PRODUCT } from '../core/names';
import type { StatusSection } from './capability';
import type { BaseConfig } from './config/load';
import type { Desired } from './reconcile/desired';
import { formatTable } from './cli/table';

export interface ScheduleStatus {
  id: string;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
}

export interface StatusReport {
  generatedAt: string;
  namespace: string;
  /** Sections by key (hosts, backups, ...). */
  [section: string]: unknown;
  schedules: ScheduleStatus[];
}

async function scheduleStatus(client: Client, id: string): Promise<ScheduleStatus | undefined> {
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
  const ids = new Set<string>();
  if (desired)
    for (const d of desired)
      if (d.type === 'schedule') ids.add(d.id);
      else {
        for await (const s of client.schedule.list())
          if (s.memo?.[MEMO.managedBy] === PRODUCT) ids.add(s.scheduleId);
      }
  const [parts, schedules] = await Promise.all([
    Promise.all(sections.map(async (s) => [s.key, await s.collect(client, config, now)] as const)),
    Promise.all([...ids].sort().map((id) => scheduleStatus(client, id))),
  ]);
  return {
    generatedAt: new Date(now).toISOString(),
    namespace: client.options.namespace,
    ...Object.fromEntries(parts),
    schedules: schedules.filter((s): s is ScheduleStatus => s !== undefined),
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
