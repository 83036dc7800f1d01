// Start and stop of a service instance on its host, through the configured commands. A start
// is idempotent: the host journal remembers which generation of the instance it started, and
// a start that finds the instance already running (by its status command, else its probes)
// does not run the start command again — so a retried or replayed decision never starts a
// second instance, also after the worker was killed in the middle of one.
import { closeSync, mkdirSync, openSync, readFileSync, readSync, fstatSync } from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { CommandSpec } from '../../src/core/command';
import { REDUNDANCY_FAILURES } from '../../src/redundancy/model/failures';
import type { ProbeSpec } from '../../src/redundancy/model/types';
import { runCommand, showArgv } from '../shared/command';
import { writeFileAtomic } from '../shared/fs';
import { probeAll } from '../shared/probes';

export interface ActInput {
  service: string;
  instance: string;
  generation: number;
  start: CommandSpec;
  stop: CommandSpec;
  status: CommandSpec | null;
  probes: ProbeSpec[];
}

export interface ActDeps {
  host: string;
  env: NodeJS.ProcessEnv;
  stateDir: string;
  signal?: AbortSignal;
}

export interface StartOutcome {
  /** started: the start command ran; running: it was already running, nothing was run. */
  outcome: 'started' | 'running';
  detail: string;
}

interface JournalEntry {
  generation: number;
  phase: 'starting' | 'started' | 'stopped';
  at: string;
}

/** The instance's variables: in its commands' environment and in ${...} of commands and probes. */
export function instanceEnv(
  deps: { host: string; env: NodeJS.ProcessEnv },
  service: string,
  instance: string,
): NodeJS.ProcessEnv {
  return { ...deps.env, HA_SERVICE: service, HA_INSTANCE: instance, HA_HOST: deps.host };
}

function dir(deps: ActDeps): string {
  const d = path.join(deps.stateDir, 'services');
  mkdirSync(d, { recursive: true });
  return d;
}

function journalFile(deps: ActDeps, instance: string): string {
  return path.join(dir(deps), `${instance}.json`);
}

function readJournal(deps: ActDeps, instance: string): JournalEntry | null {
  try {
    return JSON.parse(readFileSync(journalFile(deps, instance), 'utf8')) as JournalEntry;
  } catch {
    return null;
  }
}

function writeJournal(deps: ActDeps, instance: string, e: Omit<JournalEntry, 'at'>): void {
  writeFileAtomic(journalFile(deps, instance), JSON.stringify({ ...e, at: new Date().toISOString() }));
}

/** The last lines of the instance's command log, for an error message. */
function logTail(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, 2048);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8').trim().split('\n').slice(-3).join(' | ').slice(-400);
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Runs one of the instance's commands with its output appended to
 * <stateDir>/services/<instance>.log (a daemon it leaves behind keeps no pipe of ours open).
 */
async function runLogged(
  cmd: CommandSpec,
  what: string,
  input: ActInput,
  deps: ActDeps,
): Promise<{ ok: boolean; detail: string }> {
  const log = path.join(dir(deps), `${input.instance}.log`);
  const fd = openSync(log, 'a');
  try {
    const o = await runCommand(cmd, {
      host: deps.host,
      where: `service ${input.service} ${what}`,
      env: instanceEnv(deps, input.service, input.instance),
      stdoutFd: fd,
      stderrFd: fd,
      signal: deps.signal,
    });
    if (o.exitCode === 0) return { ok: true, detail: `\`${showArgv(cmd)}\` exit 0` };
    const how = o.timedOut
      ? `timed out after ${cmd.timeoutMs / 1000}s`
      : o.exitCode !== null
        ? `exited with status ${o.exitCode}`
        : `was killed by ${o.signal}`;
    const tail = logTail(log);
    return { ok: false, detail: `\`${showArgv(cmd)}\` ${how}${tail ? `: ${tail}` : ''}` };
  } finally {
    closeSync(fd);
  }
}

/** Is the instance running? The status command if there is one, else one round of probes. */
export async function isRunning(
  input: ActInput,
  deps: ActDeps,
): Promise<{ running: boolean; detail: string }> {
  if (input.status) {
    const r = await runLogged(input.status, 'status', input, deps);
    return { running: r.ok, detail: r.detail };
  }
  const o = await probeAll(input.probes, {
    host: deps.host,
    env: instanceEnv(deps, input.service, input.instance),
    signal: deps.signal,
  });
  return { running: o.ok, detail: o.detail };
}

export async function startInstance(input: ActInput, deps: ActDeps): Promise<StartOutcome> {
  const j = readJournal(deps, input.instance);
  const now = await isRunning(input, deps);
  if (now.running) {
    writeJournal(deps, input.instance, { generation: input.generation, phase: 'started' });
    return {
      outcome: 'running',
      detail:
        j && j.generation === input.generation
          ? `already started by an earlier attempt (${now.detail})`
          : `already running (${now.detail})`,
    };
  }
  writeJournal(deps, input.instance, { generation: input.generation, phase: 'starting' });
  const r = await runLogged(input.start, 'start', input, deps);
  if (!r.ok) {
    throw ApplicationFailure.retryable(
      `start of ${input.instance} on ${deps.host} failed: ${r.detail}`,
      REDUNDANCY_FAILURES.actionFailed,
    );
  }
  writeJournal(deps, input.instance, { generation: input.generation, phase: 'started' });
  return { outcome: 'started', detail: r.detail };
}

export async function stopInstance(input: ActInput, deps: ActDeps): Promise<{ detail: string }> {
  const r = await runLogged(input.stop, 'stop', input, deps);
  if (!r.ok) {
    throw ApplicationFailure.retryable(
      `stop of ${input.instance} on ${deps.host} failed: ${r.detail}`,
      REDUNDANCY_FAILURES.actionFailed,
    );
  }
  writeJournal(deps, input.instance, { generation: input.generation, phase: 'stopped' });
  return { detail: r.detail };
}
