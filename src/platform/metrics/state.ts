// The state of what we run as Prometheus metrics: what `hactl status` gathers (every
// capability's section and the schedules), each section turned into metric families by its
// capability, plus the exporter's own. Gathered at most once per `cacheMs`, however often and
// however many scrapers ask; scrapes in between get the same state.
import type { Client } from '@temporalio/client';
import type { StatusSection } from '../capability';
import type { StatusReport } from '../status';
import { VERSION } from '../version';
import type { MetricFamily } from './exposition';
import { epochSeconds, renderExposition } from './exposition';

export interface Gathered {
  /** null: gathering failed (`error` says why). */
  report: StatusReport | null;
  error: string | null;
  /** When it was gathered and how long it took (ms). */
  at: number;
  durationMs: number;
}

/** Platform metrics: the exporter's own and the schedules. Pure. */
export function platformFamilies(g: Gathered): MetricFamily[] {
  const schedules = g.report?.schedules ?? [];
  return [
    {
      name: 'ha_build_info',
      help: 'Always 1; the version of ha-orchestrator that exports these metrics.',
      type: 'gauge',
      samples: [{ labels: { version: VERSION }, value: 1 }],
    },
    {
      name: 'ha_state_up',
      help: 'Whether the last gathering of the state from Temporal succeeded (1) or not (0: the other ha_ series are absent).',
      type: 'gauge',
      samples: [{ value: g.report !== null }],
    },
    {
      name: 'ha_state_gathered_timestamp_seconds',
      help: 'When the state these metrics show was gathered (they are cached a few seconds), seconds since the epoch.',
      type: 'gauge',
      samples: [{ value: g.at / 1000 }],
    },
    {
      name: 'ha_state_gather_duration_seconds',
      help: 'How long gathering the state from Temporal took.',
      type: 'gauge',
      samples: [{ value: g.durationMs / 1000 }],
    },
    {
      name: 'ha_schedule_paused',
      help: 'Whether the schedule (of backups, verifies, drills, ...) is paused.',
      type: 'gauge',
      samples: schedules.map((s) => ({ labels: { schedule: s.id }, value: s.paused })),
    },
    {
      name: 'ha_schedule_next_run_timestamp_seconds',
      help: 'When the schedule next starts a run, seconds since the epoch.',
      type: 'gauge',
      samples: schedules.map((s) => ({ labels: { schedule: s.id }, value: epochSeconds(s.nextRunAt) })),
    },
    {
      name: 'ha_schedule_last_run_timestamp_seconds',
      help: 'When the schedule last started a run, seconds since the epoch.',
      type: 'gauge',
      samples: schedules.map((s) => ({ labels: { schedule: s.id }, value: epochSeconds(s.lastRunAt) })),
    },
  ];
}

/** Every family: the platform's, then each section's (every name, with or without samples). Pure. */
export function stateFamilies(g: Gathered, sections: readonly StatusSection[], now: number): MetricFamily[] {
  return [
    ...platformFamilies(g),
    ...sections.flatMap((s) => s.metrics?.(g.report ? g.report[s.key] : null, now) ?? []),
  ];
}

/** The names of every metric the state endpoint exports (for the dashboard and rule checks). */
export function stateMetricNames(sections: readonly StatusSection[]): string[] {
  const g: Gathered = { report: null, error: null, at: 0, durationMs: 0 };
  return stateFamilies(g, sections, 0).map((f) => f.name);
}

export interface StateExporterOptions {
  /** Gathers the report (collectStatus with the current config). */
  gather: (client: Client, now: number) => Promise<StatusReport>;
  client: Client;
  sections: readonly StatusSection[];
  /** How long a gathered state is served before it is gathered again. */
  cacheMs: number;
  clock?: () => number;
  onError?: (message: string) => void;
}

export interface StateExporter {
  /** The exposition text: from the cache, or gathered now (one gathering for concurrent scrapes). */
  scrape(): Promise<string>;
  /** How many times the state was gathered (for tests and the log). */
  gatherings(): number;
}

export function stateExporter(o: StateExporterOptions): StateExporter {
  const clock = o.clock ?? Date.now;
  let cached: { g: Gathered; until: number } | null = null;
  let inFlight: Promise<Gathered> | null = null;
  let count = 0;
  const gatherNow = async (): Promise<Gathered> => {
    const at = clock();
    count++;
    try {
      const report = await o.gather(o.client, at);
      return { report, error: null, at, durationMs: clock() - at };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      o.onError?.(`gathering the state failed: ${message}`);
      return { report: null, error: message, at, durationMs: clock() - at };
    }
  };
  const current = async (): Promise<Gathered> => {
    if (cached && clock() < cached.until) return cached.g;
    inFlight ??= gatherNow().then((g) => {
      cached = { g, until: clock() + o.cacheMs };
      inFlight = null;
      return g;
    });
    return inFlight;
  };
  return {
    async scrape() {
      return renderExposition(stateFamilies(await current(), o.sections, clock()));
    },
    gatherings: () => count,
  };
}
