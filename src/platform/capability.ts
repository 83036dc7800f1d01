// What a capability is to the platform: one typed object in the registry (src/registry.ts).
// The config loader, the reconciler, `hactl status`, the worker, the CLI and the exit codes
// loop over the registry and never name a capability themselves.
//
// A descriptor is light on purpose: names, command stubs and constants only, so that
// `hactl --version` and `--help` load nothing else. Everything heavier (zod schemas, the
// Temporal client, status queries) comes from `load()`, on first use. By convention, its
// workflows are `workflows/<name>/index.ts` and its activities `activities/<name>/index.ts`
// (see ActivityModule), which only the worker loads.
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { BaseConfig, ConfigSection } from './config/load';
import type { Desired } from './reconcile/desired';
import type { MetricFamily } from './metrics/exposition';

/** A command group of hactl; its file is loaded only when that command runs (or its help). */
export interface CommandStub {
  name: string;
  summary: string;
  load(): Promise<{ register(program: Command): Command }>;
}

/** A schedule as `hactl status` shows it. */
export interface ScheduleStatus {
  id: string;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
}

/** A schedule from the listing: its status, and whether `hactl apply` manages it. */
export interface ListedSchedule {
  status: ScheduleStatus;
  managed: boolean;
  /** The runs it started most recently (the server keeps a few), newest first. */
  recentRuns: Array<{ workflowId: string; runId: string }>;
}

/** What the sections of one `hactl status` share, read once from the server. */
export interface StatusContext {
  /** Every schedule, by ID, from one listing (next and last run, paused). */
  schedules(): Promise<Map<string, ListedSchedule>>;
  /**
   * These schedules: from the listing, and those it does not have yet (the listing lags a moment
   * behind a change) read one by one. Absent: no such schedule.
   */
  scheduleStatus(ids: readonly string[]): Promise<Map<string, ScheduleStatus>>;
  /** A read shared by the sections: `load` runs on the first call for `key`, later calls share it. */
  shared<T>(key: string, load: () => Promise<T>): Promise<T>;
}

/** A capability's part of `hactl status`: its key in `--json`, how to collect and show it. */
export interface StatusSection<C = unknown, D = unknown> {
  key: string;
  collect(client: Client, config: (BaseConfig & C) | undefined, now: number, ctx: StatusContext): Promise<D>;
  /**
   * Starts, through `ctx.shared`, the reads that do not depend on the config, so that the server
   * answers while the CLI parses it; `collect` then finds them under the same keys (and reports
   * their errors).
   */
  prefetch?(client: Client, ctx: StatusContext): void;
  /** Pure: lines for the terminal (none when there is nothing to show). */
  render(data: D): string[];
  /**
   * Pure: the section as Prometheus metrics (`hactl metrics-server`). Every family it can
   * export, even without samples (null data: not configured, or the server did not answer).
   */
  metrics?(data: D | null | undefined, now: number): MetricFamily[];
}

/** The heavier parts, loaded on first use. */
export interface CapabilityParts<C = unknown> {
  /** Its sections of the config file (most capabilities have one). */
  config?: ConfigSection | readonly ConfigSection[];
  /** The Schedules and controllers this capability needs for a config. */
  desired?(config: BaseConfig & C): Desired[];
  status?: StatusSection<C>;
}

export interface Capability<C = unknown> {
  /** Folder name under src/, workflows/ and activities/. */
  name: string;
  commands: readonly CommandStub[];
  /** What `hactl apply` creates for it: ID prefixes it owns and its controllers' kinds. */
  ownedIdPrefixes: readonly string[];
  controllerKinds: readonly string[];
  /** Workflow type names its clients and schedules start (exported by workflows/<name>). */
  workflowTypes: readonly string[];
  /** Failure types retrying cannot fix, and those that mean the input was bad (exit 2). */
  failures: { nonRetryable: readonly string[]; badInput: readonly string[] };
  /**
   * What people do, for `hactl audit`: by the HaKind of its workflows, the updates and signals
   * that are decisions; and the kinds whose runs a person starts (a schedule's do not count).
   */
  audit?: {
    messages?: Readonly<Record<string, readonly string[]>>;
    starts?: readonly string[];
    /** Workflow ID prefixes of runs that only read (listings, preflight checks): not actions. */
    readOnly?: readonly string[];
  };
  load(): CapabilityParts<C>;
}

/** Dependencies every host-side activity factory gets. */
export interface HostActivityDeps {
  host: string;
  env: NodeJS.ProcessEnv;
  /** The host's state directory (HA_STATE_DIR/hosts/<host>). */
  stateDir: string;
}

/** What `activities/<name>/index.ts` exports as `activityModule`. */
export interface ActivityModule {
  /** Activities that must run on the host they concern (queue ha-host-<host>). */
  host?(deps: HostActivityDeps): { activities: object; prime?(): Promise<void> };
  /** Activities that may run on any host (queue ha-orchestrator). */
  shared?(deps: { env: NodeJS.ProcessEnv }): object;
}

/** Caches `load` so that a capability's parts are required once, when first needed. */
export function lazy<T>(load: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= load());
}
