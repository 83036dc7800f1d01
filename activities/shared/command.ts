// Runs configured commands (hooks, dump commands, and every capability's host commands):
// argv arrays without a shell unless the config says `shell: true`, a hard timeout that kills
// the whole process group, and ${ENV} references resolved here, on the host, from the worker's
// own environment.
import { spawn } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/common';
import type { CommandSpec } from '../../src/core/command';
import { CORE_FAILURES } from '../../src/core/errors';

const ERR = CORE_FAILURES;

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces ${NAME} with the host's environment; a missing variable is a non-retryable error. */
export function resolveRefs(text: string, env: NodeJS.ProcessEnv, host: string, where: string): string {
  return text.replace(REF, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) {
      throw ApplicationFailure.nonRetryable(
        `environment variable ${name} (referenced by ${where}) is not set on host ${host}; set it in the worker's environment`,
        ERR.secretMissing,
      );
    }
    return v;
  });
}

/** Node timers hold at most 2^31-1 ms (24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * setTimeout for any length: a timeout of 30 days is armed as a chain of shorter timers, each
 * at most MAX_TIMER_MS, so that it fires when it should and not immediately.
 */
export function setLongTimeout(fn: () => void, ms: number): { clear(): void } {
  const due = Date.now() + ms;
  let t: NodeJS.Timeout;
  const arm = (): void => {
    const left = due - Date.now();
    t = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return { clear: () => clearTimeout(t) };
}

export interface CommandOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** Last few KiB of stdout (when not redirected) and stderr, for messages. */
  stdoutTail: string;
  stderrTail: string;
}

const TAIL = 4096;

function tailAppend(prev: string, chunk: Buffer): string {
  const s = prev + chunk.toString('utf8');
  return s.length > TAIL ? s.slice(-TAIL) : s;
}

/** Human form of a command for messages: the configured argv, never resolved secrets. */
export function showArgv(cmd: CommandSpec): string {
  return cmd.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

export interface RunOptions {
  host: string;
  where: string;
  /** File descriptor that receives stdout (e.g. a spool file); otherwise stdout is captured. */
  stdoutFd?: number;
  /**
   * File descriptor that receives stderr; otherwise it is captured. A command that leaves a
   * daemon behind (a service's start) needs both redirected: a daemon holding our pipe would
   * keep the command "running" until its timeout.
   */
  stderrFd?: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onStdout?: (bytes: number) => void;
  /** Written to the command's stdin, which is then closed (otherwise stdin is /dev/null). */
  stdin?: string | Buffer;
}

export async function runCommand(cmd: CommandSpec, opts: RunOptions): Promise<CommandOutcome> {
  const base = opts.env ?? process.env;
  const argv = cmd.argv.map((a, i) => resolveRefs(a, base, opts.host, `${opts.where} argv[${i}]`));
  const extra = Object.fromEntries(
    Object.entries(cmd.env).map(([k, v]) => [k, resolveRefs(v, base, opts.host, `${opts.where} env.${k}`)]),
  );
  const [file, args] = cmd.shell ? ['/bin/sh', ['-c', argv[0]!]] : [argv[0]!, argv.slice(1)];
  const started = Date.now();
  const child = spawn(file, args, {
    env: { ...base, ...extra },
    cwd: cmd.cwd,
    stdio: [opts.stdin !== undefined ? 'pipe' : 'ignore', opts.stdoutFd ?? 'pipe', opts.stderrFd ?? 'pipe'],
    detached: true, // own process group, so a timeout kills everything it started
  });
  if (opts.stdin !== undefined && child.stdin) {
    // A command that exits without reading its input is not an error of ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin);
  }
  let stdoutTail = '';
  let stderrTail = '';
  let outBytes = 0;
  child.stdout?.on('data', (c: Buffer) => {
    stdoutTail = tailAppend(stdoutTail, c);
    outBytes += c.length;
    opts.onStdout?.(outBytes);
  });
  child.stderr?.on('data', (c: Buffer) => (stderrTail = tailAppend(stderrTail, c)));

  let timedOut = false;
  const killGroup = (sig: NodeJS.Signals): void => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  let hardKill: NodeJS.Timeout | undefined;
  const timer = setLongTimeout(() => {
    timedOut = true;
    killGroup('SIGTERM');
    hardKill = setTimeout(() => killGroup('SIGKILL'), 5000);
  }, cmd.timeoutMs);
  const onAbort = (): void => killGroup('SIGKILL');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    return await new Promise<CommandOutcome>((resolve, reject) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'EACCES') {
          reject(
            ApplicationFailure.nonRetryable(
              `${opts.where}: cannot run "${cmd.shell ? '/bin/sh' : cmd.argv[0]}" on host ${opts.host}: ${err.code === 'ENOENT' ? 'not found' : 'permission denied'}`,
              ERR.commandNotFound,
            ),
          );
        } else reject(err);
      });
      child.once('close', (exitCode, signal) =>
        resolve({ exitCode, signal, timedOut, durationMs: Date.now() - started, stdoutTail, stderrTail }),
      );
    });
  } finally {
    timer.clear();
    if (hardKill) clearTimeout(hardKill);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Turns a failed outcome into the error that explains it. */
export function commandError(cmd: CommandSpec, o: CommandOutcome, where: string): ApplicationFailure {
  const stderr = o.stderrTail.trim().split('\n').slice(-5).join('\n');
  if (o.timedOut) {
    return ApplicationFailure.retryable(
      `${where}: \`${showArgv(cmd)}\` timed out after ${cmd.timeoutMs / 1000}s and was killed`,
      ERR.commandTimeout,
    );
  }
  const how = o.exitCode !== null ? `exited with status ${o.exitCode}` : `was killed by ${o.signal}`;
  return ApplicationFailure.retryable(
    `${where}: \`${showArgv(cmd)}\` ${how}${stderr ? `: ${stderr}` : ''}`,
    ERR.commandFailed,
  );
}
