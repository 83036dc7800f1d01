// backupWorkflow with mocked activities: the order of its steps, and that post-hooks run when
// a step before them failed (they usually undo what pre-hooks did), with the first failure
// being the one reported.
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type {
  ArchiveResult,
  BackupResult,
  BackupSetSpec,
  HookResult,
  HookSpec,
} from '../../src/backup/model/types';
import { SHARED_TASK_QUEUE } from '../../src/core/names';
import type { backupWorkflow } from '../../workflows/backup/backup';
import { testEnv } from '../helpers';
import { backupSpec } from '../helpers/backup-spec';
import { unique, withMockedActivities } from './harness';

const env = testEnv(__filename);

/** WorkflowFailedError -> ActivityFailure -> ApplicationFailure: the message that says why. */
function innermost(err: unknown): string | undefined {
  let e = err as { cause?: unknown; message?: string };
  while (e.cause) e = e.cause;
  return e.message;
}

const hook = (name: string, onError: 'fail' | 'continue' = 'fail'): HookSpec => ({
  argv: [name],
  timeoutMs: 10_000,
  env: {},
  shell: false,
  onError,
});

function spec(host: string): BackupSetSpec {
  return backupSpec(unique('set'), host, {
    pre: [hook('stop-app')],
    post: [hook('start-app'), hook('notify', 'continue')],
  });
}

const archive: ArchiveResult = {
  archive: 'x.tar.gz',
  staged: '.x.a1.archive.partial',
  attempt: 1,
  archiveBytes: 10,
  archiveSha256: 'ab',
  files: 1,
  dirs: 0,
  symlinks: 0,
  bytesIn: 5,
  warnings: [],
  durationMs: 1,
};

/** Mock backup activities that record each call; `fail` names the step that throws. */
function mocks(fail: { step?: string; hook?: string } = {}) {
  const calls: string[] = [];
  const step =
    <T>(name: string, value: T) =>
    async (): Promise<T> => {
      calls.push(name);
      if (fail.step === name) throw ApplicationFailure.nonRetryable(`${name} exploded`, 'DestinationFull');
      return value;
    };
  return {
    calls,
    activities: {
      async backupRunHook(input: {
        phase: 'pre' | 'post';
        index: number;
        hook: HookSpec;
      }): Promise<HookResult> {
        const name = `${input.phase}:${input.hook.argv[0]}`;
        calls.push(name);
        if (fail.hook === input.hook.argv[0] && input.hook.onError === 'fail')
          throw ApplicationFailure.nonRetryable(`${name} failed`, 'HookFailed');
        return { argv: input.hook.argv, exitCode: 0, ok: true, durationMs: 1, output: '' };
      },
      backupCreateArchive: step('archive', archive),
      backupVerifyArchive: step('verify', { ok: true as const }),
      backupWriteManifest: step('manifest', {
        id: 'x',
        set: 's',
        host: 'h',
        createdAt: '2026-01-01T00:00:00.000Z',
        archive: 'x.tar.gz',
        archiveBytes: 10,
        archiveSha256: 'ab',
        gzipLevel: 6,
        sources: [],
        commands: [],
        files: 1,
        dirs: 0,
        symlinks: 0,
        bytesIn: 5,
        warnings: [],
      }),
      backupApplyRetention: step('retention', { decisions: [], removed: [] }),
    },
  };
}

async function run(s: BackupSetSpec, m: ReturnType<typeof mocks>): Promise<BackupResult> {
  return withMockedActivities(env, [{ host: s.host, activities: m.activities }], (client) =>
    client.workflow.execute<typeof backupWorkflow>('backupWorkflow', {
      workflowId: unique('backup'),
      taskQueue: SHARED_TASK_QUEUE,
      args: [{ spec: s, trigger: 'api' }],
    }),
  );
}

describe('backupWorkflow (mocked activities)', () => {
  it('runs pre-hooks, archive, verify, manifest, retention, post-hooks, in that order', async () => {
    const m = mocks();
    const r = await run(spec(unique('host')), m);
    expect(m.calls).toEqual([
      'pre:stop-app',
      'archive',
      'verify',
      'manifest',
      'retention',
      'post:start-app',
      'post:notify',
    ]);
    expect(r.hooks.map((h) => h.argv[0])).toEqual(['stop-app', 'start-app', 'notify']);
  });

  it('runs every post-hook after a failed archive step, and reports the archive failure', async () => {
    const m = mocks({ step: 'archive' });
    const err = await run(spec(unique('host')), m).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(innermost(err)).toBe('archive exploded');
    expect(m.calls).toEqual(['pre:stop-app', 'archive', 'post:start-app', 'post:notify']);
  });

  it('when the archive and a post-hook both fail, the archive failure is the one reported', async () => {
    const m = mocks({ step: 'archive', hook: 'start-app' });
    const err = await run(spec(unique('host')), m).catch((e: unknown) => e);
    expect(innermost(err)).toBe('archive exploded');
    // The post-hook after the failed one still runs: each undoes something.
    expect(m.calls).toEqual(['pre:stop-app', 'archive', 'post:start-app', 'post:notify']);
  });

  it('a failing post-hook with onError: fail fails an otherwise good backup; the others still run', async () => {
    const m = mocks({ hook: 'start-app' });
    const err = await run(spec(unique('host')), m).catch((e: unknown) => e);
    expect(innermost(err)).toBe('post:start-app failed');
    expect(m.calls.filter((c) => c.startsWith('post:'))).toEqual(['post:start-app', 'post:notify']);
  });

  it('a failed pre-hook skips the archive but still runs the post-hooks', async () => {
    const m = mocks({ hook: 'stop-app' });
    const err = await run(spec(unique('host')), m).catch((e: unknown) => e);
    expect(innermost(err)).toBe('pre:stop-app failed');
    expect(m.calls).toEqual(['pre:stop-app', 'post:start-app', 'post:notify']);
  });
});
