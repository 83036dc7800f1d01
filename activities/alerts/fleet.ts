// Fleet metrics that no host snapshot has: each backup set's recovery point, and schedules
// whose recent runs failed. Read from the server (the worker's own client), as samples.
import type { Client } from '@temporalio/client';
import { recoveryPoints } from '../../src/backup/client';
import type { SampleBatch } from '../../src/core/metrics';
import { MEMO, PRODUCT } from '../../src/core/names';

/** Runs looked at per schedule, newest first. */
const RECENT_RUNS = 10;

const FAILED = new Set(['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED']);

export async function collectFleet(client: Client, now = Date.now()): Promise<SampleBatch[]> {
  const at = new Date(now).toISOString();
  const bySource = new Map<string, SampleBatch>();
  const add = (source: string, name: string, labels: Record<string, string>, value: number): void => {
    const b = bySource.get(source) ?? { source, at, samples: [] };
    b.samples.push({ name, labels, value });
    bySource.set(source, b);
  };
  for (const p of await recoveryPoints(client, now)) {
    add(p.host, 'backup.recovery_point_seconds', { set: p.set }, p.ageSeconds);
  }
  for await (const s of client.schedule.list()) {
    if (s.memo?.[MEMO.managedBy] !== PRODUCT) continue;
    const runs: Array<{ start: number; status: string }> = [];
    for await (const w of client.workflow.list({ query: `TemporalScheduledById = '${s.scheduleId}'` })) {
      runs.push({ start: w.startTime.getTime(), status: w.status.name });
      if (runs.length >= 50) break;
    }
    runs.sort((a, b) => b.start - a.start);
    let failures = 0;
    for (const r of runs.filter((x) => x.status !== 'RUNNING').slice(0, RECENT_RUNS)) {
      if (!FAILED.has(r.status)) break;
      failures++;
    }
    const host = s.searchAttributes?.HaHost?.[0];
    add(
      typeof host === 'string' ? host : 'fleet',
      'schedule.consecutive_failures',
      { schedule: s.scheduleId },
      failures,
    );
  }
  return [...bySource.values()];
}
