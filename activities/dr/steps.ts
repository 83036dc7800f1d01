// DR steps that act through the other capabilities' typed clients (backup, failover, services,
// health), plus probes. Each waits for the outcome it started, and on cancellation (an abort, a
// skip) stops what it started before returning. Restore steps: ./restore.ts.
import type { Client } from '@temporalio/client';
import { listBackups, runBackupCancellable, verifyBackups } from '../../src/backup/client';
import type { BackupSetSpec } from '../../src/backup/model/types';
import type { ProbeSpec } from '../../src/core/probe';
import type { DrSetRef, PlanSpec } from '../../src/dr/model/types';
import { failoverHistory, forceFailover, groupState, switchover } from '../../src/failover/client';
import type { GroupView } from '../../src/failover/model/types';
import { listLiveHosts } from '../../src/platform/hosts';
import { restartService, scaleService, serviceState } from '../../src/redundancy/client';
import { heartbeat } from '../shared/heartbeat';
import { hostLoads } from '../shared/host-loads';
import { probeAll, probeName } from '../shared/probes';
import { aborted, message, stepFailed } from './run';
import type { StepOutcome } from './run';

const age = (ms: number): string =>
  ms < 120_000
    ? `${Math.round(ms / 1000)}s`
    : ms < 7_200_000
      ? `${Math.round(ms / 60_000)}m`
      : `${(ms / 3_600_000).toFixed(1)}h`;

const pause = (ms: number, signal?: AbortSignal): Promise<unknown> =>
  Promise.race([new Promise((r) => setTimeout(r, ms)), aborted(signal)]);

// ---- hosts and preconditions ----

/** Problems with these hosts: no live worker, or their health monitor says down. */
export async function hostsUp(client: Client, hosts: readonly string[]): Promise<string[]> {
  if (!hosts.length) return [];
  const live = new Set((await listLiveHosts(client)).hosts.map((h) => h.host));
  const loads = await hostLoads(client, hosts, []);
  const problems: string[] = [];
  for (const h of hosts) {
    if (!live.has(h))
      problems.push(`host ${h} has no live worker (no worker heartbeat from it in the last 15 s)`);
    else if (!loads.find((l) => l.host === h)?.up)
      problems.push(`host ${h} is down (its health monitor says so)`);
  }
  return problems;
}

export interface PreconditionsInput {
  critical: PlanSpec['critical'];
  sets: Record<string, DrSetRef>;
  rpoMs: number | null;
}

/** Critical resources exist and are live, and each critical set's newest backup meets the RPO. */
export async function preconditions(
  client: Client,
  input: PreconditionsInput,
): Promise<{ problems: string[]; detail: string }> {
  const c = input.critical;
  const problems = await hostsUp(client, c.hosts);
  for (const s of c.services) {
    try {
      const v = await serviceState(client, s);
      if (v.healthy < v.desired)
        problems.push(`service ${s} has ${v.healthy} of ${v.desired} healthy instances`);
    } catch (err) {
      problems.push(message(err));
    }
  }
  for (const g of c.failoverGroups) {
    try {
      const v = await groupState(client, g);
      if (!v.primary || v.state === 'split-brain' || v.state === 'no-primary')
        problems.push(`failover group ${g} is ${v.state}${v.primary ? '' : ' (no primary)'}`);
    } catch (err) {
      problems.push(message(err));
    }
  }
  const now = Date.now();
  for (const name of c.backupSets) {
    const set = input.sets[name];
    if (!set) {
      problems.push(`backup set ${name} is not in the run's input`);
      continue;
    }
    try {
      const l = await listBackups(client, set.spec);
      const newest = l.backups.at(-1);
      if (!newest) problems.push(`backup set ${name} has no backup`);
      else if (input.rpoMs !== null && now - Date.parse(newest.createdAt) > input.rpoMs)
        problems.push(
          `RPO not met: the newest backup of ${name} (${newest.id}) is ${age(now - Date.parse(newest.createdAt))} old, the target is ${age(input.rpoMs)}`,
        );
    } catch (err) {
      problems.push(`backup set ${name}: ${message(err)}`);
    }
  }
  const n = c.hosts.length + c.services.length + c.failoverGroups.length + c.backupSets.length;
  return {
    problems,
    detail: n
      ? `checked ${n} critical resource(s): all live${input.rpoMs !== null && c.backupSets.length ? ', RPO met' : ''}`
      : 'no critical resources listed',
  };
}

// ---- backups ----

export async function backupNow(
  client: Client,
  spec: BackupSetSpec,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  try {
    const r = await runBackupCancellable(client, spec, signal);
    return { detail: `backup ${r.id} of ${spec.set}: ${r.files} files, ${r.bytesOut} bytes` };
  } catch (err) {
    throw stepFailed(`backup of ${spec.set}: ${message(err)}`);
  }
}

/** The newest backup passes a full verification and is younger than maxAgeMs. */
export async function verifyNewest(
  client: Client,
  spec: BackupSetSpec,
  maxAgeMs: number | null,
): Promise<StepOutcome> {
  const l = await listBackups(client, spec);
  const newest = l.backups.at(-1);
  if (!newest) throw stepFailed(`backup set ${spec.set} has no backup`);
  const [r] = await verifyBackups(client, spec, { ids: [newest.id], deep: true });
  if (!r || r.status !== 'ok')
    throw stepFailed(`backup ${newest.id} of ${spec.set} does not verify: ${r?.detail ?? 'no report'}`);
  const ageMs = Date.now() - Date.parse(newest.createdAt);
  if (maxAgeMs !== null && ageMs > maxAgeMs)
    throw stepFailed(
      `the newest verified backup of ${spec.set} (${newest.id}) is ${age(ageMs)} old; the limit is ${age(maxAgeMs)}`,
    );
  return { detail: `backup ${newest.id} of ${spec.set} verified (${r.files} files), ${age(ageMs)} old` };
}

// ---- failover and services ----

export interface FailoverStepInput {
  group: string;
  /** null: the eligible healthy standby with the highest priority. */
  to: string | null;
  by: string;
  /** A drill switches over (planned, no fencing) and the cleanup switches back. */
  drill: boolean;
  /** Switch over even outside a drill (the drill's switch back). */
  switchover?: boolean;
  /** The group's nodes with their priorities, for an automatic target. */
  nodes?: Array<{ name: string; priority: number; nofailover: boolean }>;
}

function bestStandby(v: GroupView, nodes: FailoverStepInput['nodes']): string | null {
  const prio = new Map((nodes ?? []).map((n) => [n.name, n]));
  const ok = v.nodes
    .filter(
      (n) =>
        n.name !== v.primary &&
        n.health === 'up' &&
        !n.fenced &&
        n.role === 'standby' &&
        !prio.get(n.name)?.nofailover,
    )
    .sort((a, b) => (prio.get(b.name)?.priority ?? 0) - (prio.get(a.name)?.priority ?? 0));
  return ok[0]?.name ?? null;
}

export async function failoverStep(
  client: Client,
  input: FailoverStepInput,
  signal?: AbortSignal,
): Promise<StepOutcome & { switchedFrom?: string }> {
  const before = await groupState(client, input.group);
  const to = input.to ?? bestStandby(before, input.nodes);
  if (!to)
    throw stepFailed(`failover group ${input.group} has no healthy standby to promote (${before.explain})`);
  if (before.primary === to) return { detail: `${to} is the primary of ${input.group} already` };
  const planned = input.drill || input.switchover === true;
  const lastAt = before.lastEvent?.at ?? '';
  try {
    if (planned) await switchover(client, input.group, to, input.by);
    else await forceFailover(client, input.group, to, input.by);
  } catch (err) {
    throw stepFailed(`${planned ? 'switchover' : 'failover'} of ${input.group} to ${to}: ${message(err)}`);
  }
  // The group's history, not only its last event: another event (a split brain, say) may follow ours.
  for (;;) {
    if (signal?.aborted) throw stepFailed(`waiting for ${input.group} stopped`);
    const since = (await failoverHistory(client, input.group)).filter((e) => e.at > lastAt);
    const ours = since.find((e) => e.to === to && e.by === input.by);
    if (ours) {
      if (['failover', 'switchover', 'forced'].includes(ours.kind))
        return {
          detail: `${input.group}: ${ours.kind} ${ours.from ?? '?'} → ${to} (${ours.reason})`,
          ...(planned && before.primary ? { switchedFrom: before.primary } : {}),
        };
      throw stepFailed(`${input.group}: ${ours.kind}: ${ours.reason}`);
    }
    const refused = since.find((e) => e.to === null && e.by === input.by);
    if (refused) throw stepFailed(`${input.group}: ${refused.kind}: ${refused.reason}`);
    await pause(200, signal);
  }
}

export interface ServiceStepInput {
  service: string;
  action: 'scale' | 'restart' | 'wait-healthy';
  instances: number | null;
  waitTimeoutMs: number;
  by: string;
}

export async function serviceStep(
  client: Client,
  input: ServiceStepInput,
  signal?: AbortSignal,
): Promise<StepOutcome> {
  const did: string[] = [];
  try {
    if (input.action === 'scale')
      did.push(await scaleService(client, input.service, input.instances!, input.by));
    if (input.action === 'restart') did.push(await restartService(client, input.service, input.by));
  } catch (err) {
    throw stepFailed(`${input.action} of ${input.service}: ${message(err)}`);
  }
  const until = Date.now() + input.waitTimeoutMs;
  // A restart is asked, not done, when the update returns: give the controller a moment to start it.
  if (input.action !== 'wait-healthy') await pause(1000, signal);
  for (;;) {
    const v = await serviceState(client, input.service);
    if (v.healthy >= v.desired && v.health === 'healthy' && !v.instances.some((i) => i.state !== 'healthy'))
      return {
        detail: `${did.length ? `${did.join('; ')}; ` : ''}${input.service}: ${v.healthy} of ${v.desired} healthy`,
      };
    if (Date.now() > until)
      throw stepFailed(
        `${input.service} has ${v.healthy} of ${v.desired} healthy instances after ${age(input.waitTimeoutMs)}: ${v.lastReason}`,
      );
    if (signal?.aborted) throw stepFailed(`waiting for ${input.service} stopped`);
    await pause(300, signal);
  }
}

// ---- probes ----

export async function waitProbes(
  probes: readonly ProbeSpec[],
  until: boolean,
  ctx: { host: string; env: NodeJS.ProcessEnv; signal?: AbortSignal; where?: string },
): Promise<StepOutcome> {
  const started = Date.now();
  for (;;) {
    const o = await probeAll(probes, ctx);
    if (o.ok)
      return {
        detail: `${probes.map(probeName).join(', ')} passed on ${ctx.host}${until ? ` after ${age(Date.now() - started)}` : ''}`,
      };
    if (!until) throw stepFailed(`on ${ctx.host}: ${o.detail}`);
    // `where` names the step: hactl dr run --wait shows what each waiting step last saw.
    heartbeat({ last: o.detail, ...(ctx.where ? { where: ctx.where } : {}) });
    if (ctx.signal?.aborted) throw stepFailed(`waiting stopped: ${o.detail}`);
    await pause(probes[0]?.intervalMs ?? 1000, ctx.signal);
  }
}
