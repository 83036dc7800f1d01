// What hactl shows while backups, restores, verifies and DR runs go on (the heartbeats of their
// activities as progress lines), and the refresh header of hactl status --watch.
import { activitySample, backupUpdate } from '../../src/backup/cli/progress';
import { drUpdate } from '../../src/dr/cli/progress';
import type { PlanSpec, StepSpec } from '../../src/dr/model/types';
import { refreshHeader } from '../../src/platform/cli/commands/status';
import { SampleRenderer } from '../../src/platform/cli/progress';
import type { PendingActivity } from '../../src/platform/cli/progress-watch';
import { runOf, stepOf } from '../helpers/dr';

const MiB = 1024 * 1024;

const act = (type: string, details: unknown, extra: Partial<PendingActivity> = {}): PendingActivity => ({
  type,
  state: 'started',
  attempt: 1,
  details,
  heartbeatAt: 1000,
  lastFailure: null,
  ...extra,
});

describe('backup heartbeats as progress', () => {
  it.each<[string, PendingActivity, string]>([
    [
      'archive with totals',
      act('backupCreateArchive', {
        phase: 'files',
        files: 3,
        filesTotal: 10,
        bytesIn: 3 * MiB,
        bytesOut: MiB,
        current: '/x',
        bytesTotal: 10 * MiB,
      }),
      'archiving  files 3/10  bytes 3.0 MiB/10.0 MiB',
    ],
    [
      'commands first',
      act('backupCreateArchive', { phase: 'commands', files: 0, bytesIn: 0, bytesOut: 0, current: '' }),
      'running commands  files 0  bytes 0 B',
    ],
    [
      'read back',
      act('backupVerifyArchive', { verified: MiB, total: 2 * MiB }),
      'verifying the archive  bytes 1.0 MiB/2.0 MiB',
    ],
    [
      'restore extraction',
      act('backupRestoreExtract', {
        what: 'extract',
        bytes: MiB,
        files: 2,
        filesTotal: 4,
        bytesTotal: 4 * MiB,
      }),
      'extracting  files 2/4  bytes 1.0 MiB/4.0 MiB',
    ],
    [
      'verify of several backups',
      act('backupVerify', { verifying: 'b2', done: 1, of: 3, bytes: MiB, bytesTotal: 8 * MiB }),
      'verifying b2 (2/3)  bytes 1.0 MiB/8.0 MiB',
    ],
    [
      'no worker yet',
      act('backupCreateArchive', undefined, { state: 'scheduled', heartbeatAt: null }),
      'archiving  waiting for a worker on host alpha',
    ],
    [
      'a retry says so',
      act('backupCreateArchive', undefined, { attempt: 2, lastFailure: 'worker died' }),
      'archiving  attempt 2 (last: worker died)',
    ],
    [
      'encrypted details this client cannot read: the step still',
      act('backupRestoreSwap', undefined),
      'swapping in',
    ],
  ])('%s', (_what, a, line) => {
    const s = activitySample(a, 'alpha', 5000);
    expect(backupUpdate([a], 'alpha', new SampleRenderer())).toEqual({ line, key: s.label });
  });

  it('between steps there is nothing new to say', () => {
    expect(backupUpdate([], 'alpha', new SampleRenderer())).toBeNull();
  });
});

const stepSpec = (name: string, action: StepSpec['action']): StepSpec => ({
  name,
  action,
  timeoutMs: null,
  retries: 0,
  onFailure: 'abort',
  compensate: null,
  drill: 'run',
  targetMs: null,
  critical: true,
});

const probe = {
  type: 'tcp' as const,
  address: 'db:5432',
  intervalMs: 1000,
  timeoutMs: 1000,
  failureThreshold: 3,
  successThreshold: 1,
  initialDelayMs: 0,
};

const plan = {
  name: 'orders',
  groups: [
    {
      name: 'g',
      steps: [
        stepSpec('stop', { type: 'command', host: 'alpha', command: { argv: ['true'] } as never }),
        stepSpec('db-up', { type: 'wait', durationMs: null, until: probe, from: 'alpha' }),
        stepSpec('settle', { type: 'wait', durationMs: 60_000, until: null, from: null }),
        stepSpec('go', {
          type: 'approval',
          question: 'go?',
          approvers: {
            names: ['ann'],
            count: 1,
            timeoutMs: null,
            onTimeout: 'abort',
            escalateTo: [],
            allowSelfApproval: false,
          },
        }),
      ],
    },
  ],
} as unknown as PlanSpec;

describe('DR progress: the current step and what it waits for', () => {
  const now = Date.parse('2026-11-27T10:01:00.000Z');
  const at = '2026-11-27T10:00:30.000Z';

  it.each<[string, Parameters<typeof stepOf>[1] & { name: string }, PendingActivity[], string]>([
    [
      'a probe, with what it last saw',
      { name: 'db-up', type: 'wait', state: 'executing', startedAt: at },
      [act('drProbes', { last: 'tcp db:5432: connection refused', where: 'step db-up of orders' })],
      'running  1/4 steps  |  db-up: waits for tcp db:5432 from alpha; last: tcp db:5432: connection refused  30s',
    ],
    [
      'a timer',
      { name: 'settle', type: 'wait', state: 'executing', startedAt: at },
      [],
      'running  1/4 steps  |  settle: waits 1m00s (30s left)  30s',
    ],
    [
      'an approval',
      {
        name: 'go',
        type: 'approval',
        state: 'awaiting-approval',
        startedAt: at,
        approval: { allowed: ['ann'], needed: 1, approvedBy: [], question: 'go?' },
      },
      [],
      'running  1/4 steps  |  go: waits for approval from ann (0/1)  30s',
    ],
    [
      'a failed step that asks',
      {
        name: 'stop',
        state: 'awaiting-approval',
        asking: true,
        startedAt: at,
        approval: { allowed: ['cy'], needed: 1, approvedBy: [], question: 'x' },
      },
      [],
      'running  1/4 steps  |  stop: failed; waits for retry, skip or abort from cy  30s',
    ],
  ])('%s', (_what, active, pending, line) => {
    // One step finished before the active one, the others not started.
    const finished = active.name === 'stop' ? 'go' : 'stop';
    const steps = ['stop', 'db-up', 'settle', 'go'].map((n) =>
      n === active.name
        ? stepOf(n, active)
        : stepOf(n, { state: n === finished ? 'completed' : 'not-started' }),
    );
    const u = drUpdate(runOf(steps), plan, pending, undefined, now);
    expect(u.line).toBe(line);
    expect(u.key).toBe(`running:false:${active.name}=${active.state}`);
  });

  it('a paused run says how to go on', () => {
    const u = drUpdate(
      runOf([stepOf('stop', { state: 'completed' })], { paused: true }),
      plan,
      [],
      undefined,
      now,
    );
    expect(u.line).toBe('running (paused: hactl dr resume)  1/1 steps');
  });
});

describe('status --watch', () => {
  it('a terminal is cleared and redrawn; piped output gets a separator line', () => {
    const at = new Date('2026-11-27T10:00:00.000Z');
    expect(refreshHeader(true, at, 2000)).toBe(
      '\x1b[H\x1b[2J\x1b[3J2026-11-27T10:00:00.000Z (every 2s; Ctrl-C stops)\n\n',
    );
    expect(refreshHeader(false, at, 2000)).toBe('--- 2026-11-27T10:00:00.000Z (every 2s; Ctrl-C stops)\n');
  });
});
