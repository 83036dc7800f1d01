// Types of the DR capability: plain JSON, shared by the config, the plan workflow, the
// activities and the CLI. Pure.
import type { CommandSpec } from '../../core/command';
import type { BackupSetSpec, RestoreProtect } from '../../backup/model/types';
import type { ProbeSpec } from '../../core/probe';

/** AWS DRS's step states, plus ours: waiting for a person, undoing, stopped by an abort. */
export type StepState =
  | 'not-started'
  | 'executing'
  | 'waiting'
  | 'awaiting-approval'
  | 'completed'
  | 'failed'
  | 'timed-out'
  | 'skipped'
  | 'cancelled'
  | 'compensating'
  | 'compensated';

export const FINISHED_STATES: readonly StepState[] = [
  'completed',
  'failed',
  'timed-out',
  'skipped',
  'cancelled',
  'compensated',
];

export interface HttpCheck {
  url: string;
  method: string;
  body: string | null;
  expectStatus: number[];
  /** A substring the body must contain; null: any body. */
  expectBody: string | null;
  timeoutMs: number;
}

export interface Approvers {
  /** People by name, or `role:<role>` for every contact with that role. */
  names: string[];
  count: number;
  timeoutMs: number | null;
  onTimeout: 'abort' | 'continue' | 'escalate';
  /** Who decides after an escalation (names or role:...). */
  escalateTo: string[];
  /** The person who started the run may approve it. Off by default. */
  allowSelfApproval: boolean;
}

/** What a step does. Host-bound kinds name their host. */
export type StepAction =
  | { type: 'command'; host: string; command: CommandSpec }
  | { type: 'http'; host: string | null; http: HttpCheck }
  | {
      type: 'restore';
      set: string;
      /** ISO time (newest backup at or before it), or null: the newest. */
      at: string | null;
      /** A directory on the set's host, or null: back into the original paths. */
      to: string | null;
      host: string | null;
    }
  | { type: 'backup'; set: string }
  | { type: 'verify-backup'; set: string; maxAgeMs: number | null }
  | { type: 'failover'; group: string; to: string | null }
  | {
      type: 'service';
      service: string;
      action: 'scale' | 'restart' | 'wait-healthy';
      instances: number | null;
      waitTimeoutMs: number;
    }
  | { type: 'health'; hosts: string[]; probes: ProbeSpec[]; from: string | null }
  | { type: 'wait'; durationMs: number | null; until: ProbeSpec | null; from: string | null }
  | { type: 'approval'; approvers: Approvers; question: string }
  | { type: 'notify'; severity: 'info' | 'warning' | 'critical'; message: string };

export type StepType = StepAction['type'];

export interface StepSpec {
  name: string;
  action: StepAction;
  /** Per attempt; null: the type's default. */
  timeoutMs: number | null;
  /** Attempts after the first. */
  retries: number;
  onFailure: 'abort' | 'continue' | 'ask';
  /** Runs when the plan is aborted after this step completed. */
  compensate: StepAction | null;
  /** In a drill: run it, skip it, or run another action instead. */
  drill: 'run' | 'skip' | StepAction;
  /** How long it should take; the report compares. */
  targetMs: number | null;
  /** The RTO clock stops when the last critical step completes. */
  critical: boolean;
}

export interface StepGroupSpec {
  name: string;
  /** Run in parallel. */
  steps: StepSpec[];
}

export interface Contact {
  name: string;
  role: string;
  /** Receivers of the notifications section that reach this person. */
  receivers: string[];
}

export interface PlanSpec {
  name: string;
  description: string;
  rtoMs: number | null;
  rpoMs: number | null;
  contacts: Contact[];
  critical: { hosts: string[]; services: string[]; backupSets: string[]; failoverGroups: string[] };
  /** Who may approve proceeding when a precondition fails (names or role:...); empty: every contact. */
  approvers: string[];
  groups: StepGroupSpec[];
  /** When drills run by themselves; null: never. */
  drillSchedule: { cron: string } | { everyMs: number } | null;
}

export interface Decision {
  what: 'approve' | 'reject' | 'abort' | 'skip' | 'retry' | 'pause' | 'resume' | 'timeout' | 'escalate';
  by: string;
  at: string;
  comment: string;
}

export interface StepView {
  name: string;
  group: string;
  type: StepType | 'preconditions';
  state: StepState;
  attempts: number;
  startedAt: string | null;
  endedAt: string | null;
  targetMs: number | null;
  critical: boolean;
  /** What it did, or why it failed: one line. */
  detail: string;
  /** Last lines of a command's output. */
  output: string;
  decisions: Decision[];
  /** Set while awaiting approval: who may decide and how many have. */
  approval: { allowed: string[]; needed: number; approvedBy: string[]; question: string } | null;
  /** onFailure: ask — the step failed and waits for retry, skip or abort. */
  asking: boolean;
  compensation: { state: 'completed' | 'failed' | 'skipped'; detail: string } | null;
  /** A restore's backup time: what RPO achieved is computed from. */
  backupAt: string | null;
  drill: 'ran' | 'skipped' | 'replaced' | null;
}

export type RunPhase =
  | 'preconditions'
  | 'running'
  | 'paused'
  | 'aborting'
  | 'compensating'
  | 'cleaning-up'
  | 'completed'
  | 'failed'
  | 'aborted';

export interface LogEntry {
  at: string;
  text: string;
}

export interface RunView {
  plan: string;
  run: string;
  workflowId: string;
  drill: boolean;
  startedBy: string;
  startedAt: string;
  incidentAt: string;
  endedAt: string | null;
  phase: RunPhase;
  paused: boolean;
  steps: StepView[];
  log: LogEntry[];
  rtoMs: number | null;
  rpoMs: number | null;
  /** What a drill created and must remove: scratch directories and switchovers to undo. */
  cleanup: string[];
}

/** A backup set as a DR step needs it: its spec and what a restore on its host must not replace. */
export interface DrSetRef {
  spec: BackupSetSpec;
  protect: RestoreProtect;
}

export interface DrRunInput {
  plan: PlanSpec;
  /** The sets the plan's steps name. */
  sets: Record<string, DrSetRef>;
  drill: boolean;
  /** Each failover group a step names: its nodes' priorities, for an automatic target. */
  groups: Record<string, Array<{ name: string; priority: number; nofailover: boolean }>>;
  /** Who started it (hactl's --as, or "schedule"): self-approval is checked against this. */
  startedBy: string;
  /** ISO; the RTO clock starts here. Default: the run's start. */
  incidentAt?: string;
}
