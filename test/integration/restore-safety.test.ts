// Restore must never destroy what it was not asked to touch. Each test reproduces one finding
// of the fault tests that found data loss on the earlier code, through hactl, the real server
// and a real worker process, plus the variants a careful reviewer tries next. Mounts need root
// (CI runs as root).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import type { BackupResult, RestoreResult } from '../../src/backup/model/types';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { snapshotTree } from '../helpers/tree';

const env = testEnv(__filename);
const tmp = tempDir('rsafety');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const config = W('ha.yml');
const mounts: string[] = [];
let client: Client;
let close: () => Promise<void>;
let worker: WorkerProcess;
const ids = { small: [] as string[], big: [] as string[] };

writeConfig(
  tmp.dir,
  'ha.yml',
  `version: 1
hosts:
  - name: alpha
backups:
  - name: small
    host: alpha
    paths: [small]
    destination: dest/small
  - name: big
    host: alpha
    paths: [big]
    destination: dest/big
    gzipLevel: 1
  - name: hooked
    host: alpha
    paths: [small]
    destination: dest/hooked
    hooks:
      pre:
        - { argv: ["sleep", "1"], timeout: 30d }
        - { argv: ["sleep", "1"], timeout: 2147483648ms }
`,
);

function mount(args: string[], dir: string): void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', [...args, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`these tests mount tmpfs and bind mounts and need root: ${r.stderr}`);
  mounts.unshift(dir);
}

async function cli(args: string[], opts: { cwd?: string } = {}) {
  return hactl([...args, '--config', config], { env: env.env, timeoutMs: 180_000, ...opts });
}

function stagingOf(target: string): string[] {
  const parent = path.dirname(target);
  const prefix = `.${path.basename(target)}.ha-restore-`;
  return existsSync(parent) ? readdirSync(parent).filter((n) => n.startsWith(prefix)) : [];
}

function journal(): string[] {
  const dir = path.join(env.env.HA_STATE_DIR!, 'hosts', 'alpha', 'scratch');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** A directory with content that must survive whatever the test does to restores into it. */
function precious(dir: string): Record<string, unknown> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'precious.txt'), `do not lose me ${dir}\n`);
  return snapshotTree(dir);
}

// 160 MiB at 20 MiB/s: eight seconds of extraction in which the tests can act.
const SLOW = ['--rate-limit', '20MiB'];

async function startRestore(set: string, id: string, to: string, extra: string[] = []): Promise<string> {
  const r = await cli(['restore', set, '--id', id, '--to', to, '--json', ...extra]);
  if (r.code !== 0) throw new Error(`restore failed to start (${r.code}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { workflowId: string }).workflowId;
}

async function stagingAppears(target: string): Promise<string> {
  return waitFor(() => stagingOf(target)[0], {
    timeoutMs: 60_000,
    intervalMs: 10,
    message: () => `no staging directory for ${target}`,
  });
}

beforeAll(async () => {
  mkdirSync(W('small', 'sub'), { recursive: true });
  writeFileSync(W('small', 'a.txt'), 'alpha\n');
  writeFileSync(W('small', 'sub', 'b.txt'), 'beta\n');
  // Large and slow to extract: 4 x 40 MiB that do not compress, and 4,000 small files.
  mkdirSync(W('big', 'many'), { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(W('big', `blob${i}.bin`), randomBytes(40 * 1024 * 1024));
  for (let i = 0; i < 4000; i++) writeFileSync(W('big', 'many', `f${i}`), `${i}\n`);
  ({ client, close } = await connect(env));
  worker = await startWorker(env, 'alpha');
  for (const set of ['small', 'small', 'big', 'big'] as const) {
    const r = await cli(['backup', 'run', set, '--wait', '--json']);
    expect(r.code).toBe(0);
    ids[set].push((JSON.parse(r.stdout) as BackupResult).id);
  }
}, 300_000);

afterAll(async () => {
  await worker?.stop();
  await close();
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  tmp.cleanup();
});

describe('1. cancellation and termination respect the commit point', () => {
  it('a restore cancelled mid-extraction never swaps; its staging directory is removed', async () => {
    const target = W('t-cancel');
    const before = precious(target);
    const wf = await startRestore('big', ids.big[0]!, target, ['--discard-previous', ...SLOW]);
    await stagingAppears(target);
    const handle = client.workflow.getHandle(wf);
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    // The workflow waited for the extraction to stop and clean up.
    expect(stagingOf(target)).toEqual([]);
    expect(snapshotTree(target)).toEqual(before);
    expect(journal()).toEqual([]);
  });

  it('a restore terminated mid-extraction never swaps; the next backup on the host removes any leftover', async () => {
    const target = W('t-terminate');
    const before = precious(target);
    const wf = await startRestore('big', ids.big[0]!, target, ['--discard-previous', ...SLOW]);
    await stagingAppears(target);
    await client.workflow.getHandle(wf).terminate('test: terminate mid-extraction');
    // Long enough for the worker to have swapped, as it did before: it must not.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 500));
      expect(snapshotTree(target)).toEqual(before);
    }
    // The extraction learns at its next heartbeat that its run is gone, stops and removes its tree.
    await waitFor(() => stagingOf(target).length === 0, {
      timeoutMs: 20_000,
      message: () => `staging of a terminated restore still there: ${stagingOf(target).join(', ')}`,
    });
    // Its lock is left for the next restore or backup on the host, which removes it.
    expect((await cli(['backup', 'run', 'small', '--wait'])).code).toBe(0);
    expect(journal()).toEqual([]);
    expect(snapshotTree(target)).toEqual(before);
  });

  it('worker killed, then the restore terminated: the staging tree is removed by the next backup after the restart', async () => {
    const target = W('t-killed');
    const before = precious(target);
    const wf = await startRestore('big', ids.big[1]!, target, ['--discard-previous']);
    await stagingAppears(target);
    worker.kill('SIGKILL');
    await worker.exited;
    await client.workflow.getHandle(wf).terminate('test: worker dead, run terminated');
    expect(stagingOf(target)).toHaveLength(1); // nobody could clean it yet
    worker = await startWorker(env, 'alpha');
    expect((await cli(['backup', 'run', 'small', '--wait'])).code).toBe(0);
    expect(stagingOf(target)).toEqual([]);
    expect(journal()).toEqual([]);
    expect(snapshotTree(target)).toEqual(before);
  });
});

describe('2. --to must be an absolute directory', () => {
  it.each([
    ['""', '', /the restore target is empty/],
    ['.', '.', /"\." is not an absolute path/],
    ['a relative path', 'restored', /"restored" is not an absolute path/],
    ['a path with ..', '/tmp/x/../y', /contains "\.\."; write the directory without it \(\/tmp\/y\)/],
    ['/', '/', /root directory/],
  ])('%s is bad input (exit 2) and the working directory is untouched', async (_what, to, re) => {
    const cwd = W('cwd');
    const before = precious(cwd);
    const r = await cli(['restore', 'small', '--to', to, '--discard-previous', '--wait'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(snapshotTree(cwd)).toEqual(before);
    expect(readdirSync(tmp.dir).filter((n) => n.includes('ha-previous') || n.includes('ha-restore'))).toEqual(
      [],
    );
  });
});

describe('3. guards on real paths', () => {
  it('a symlinked parent that leads to the destination is refused, and every backup is still there', async () => {
    symlinkSync(W('dest'), W('destlink'));
    const r = await cli(['restore', 'small', '--to', W('destlink', 'small'), '--discard-previous', '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `restore target ${W('dest', 'small')} is the backup destination of set small (${W('dest', 'small')}) (${W('destlink', 'small')} resolves to ${W('dest', 'small')} through a symlink)`,
    );
    const list = JSON.parse((await cli(['backup', 'list', 'small', '--json'])).stdout) as {
      backups: Array<{ id: string }>;
    };
    expect(list.backups.map((b) => b.id)).toEqual(expect.arrayContaining(ids.small));
  });

  it('variants: the parent of every destination, a target inside one, another set’s destination', async () => {
    for (const [to, re] of [
      [W('dest'), /contains the backup destination of set/],
      [W('dest', 'small', 'inner'), /lies inside the backup destination of set small/],
      [W('dest', 'big'), /is the backup destination of set big/],
    ] as const) {
      const r = await cli(['restore', 'small', '--to', to, '--wait']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
    }
  });

  it('a target that is itself a symlink is refused', async () => {
    mkdirSync(W('real-dir'));
    symlinkSync(W('real-dir'), W('dir-link'));
    const r = await cli(['restore', 'small', '--to', W('dir-link'), '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a symlink \(to .*real-dir\); give the real directory/);
  });
});

describe('4. mount points', () => {
  it('a tmpfs mount point is refused before anything is extracted; nothing is left on the parent', async () => {
    mount(['-t', 'tmpfs', '-o', 'size=50m', 'tmpfs'], W('mnt-small'));
    const r = await cli(['restore', 'big', '--to', W('mnt-small'), '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`restore target ${W('mnt-small')} is a mount point (tmpfs is mounted there)`);
    expect(r.stderr).toContain(`restore into a directory under it, e.g. ${W('mnt-small', 'restored')}`);
    expect(stagingOf(W('mnt-small'))).toEqual([]);
  });

  it('a bind mount is refused too, and so is a directory that contains a mount point', async () => {
    mkdirSync(W('bind-src'));
    mount(['--bind', W('bind-src')], W('bind-target'));
    let r = await cli(['restore', 'small', '--to', W('bind-target'), '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a mount point/);
    mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs'], W('holder', 'inner-mount'));
    r = await cli(['restore', 'small', '--to', W('holder'), '--discard-previous', '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/contains the mount point .*holder\/inner-mount/);
  });
});

describe('5. a full filesystem', () => {
  it('is refused before extracting, naming the path, the bytes needed and free (exit 1)', async () => {
    const r = await cli(['restore', 'big', '--to', W('mnt-small', 'restored'), '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `not enough space in ${W('mnt-small')} to restore backup ${ids.big[1]}: it needs [\\d.]+ MiB \\(\\d+ bytes, 16\\d\\.\\d MiB of data plus filesystem overhead\\), [\\d.]+ MiB \\(\\d+ bytes\\) are free`,
      ),
    );
    expect(readdirSync(W('mnt-small'))).toEqual([]);
  });

  it('a restore started from code, past the CLI’s check, fails once (no retries) and writes nothing', async () => {
    const handle = await client.workflow.start('restoreWorkflow', {
      workflowId: `restore-full-${Date.now()}`,
      taskQueue: 'ha-orchestrator',
      args: [
        {
          set: 'big',
          id: ids.big[1]!,
          destination: W('dest', 'big'),
          target: W('mnt-small', 'restored'),
          keepPrevious: true,
          allowExternalSymlinks: false,
          host: 'alpha',
        },
      ],
    });
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? [])
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts.every((a) => a === 1)).toBe(true);
    const failure = (history.events ?? []).find((e) => e.activityTaskFailedEventAttributes)!;
    expect(failure.activityTaskFailedEventAttributes!.failure!.message).toMatch(
      /not enough space in .*mnt-small/,
    );
    expect(readdirSync(W('mnt-small'))).toEqual([]);
  });
});

describe('6. backed-up sources', () => {
  it('restoring over the set’s own source is refused unless --into-source', async () => {
    const before = snapshotTree(W('small'));
    let r = await cli(['restore', 'small', '--to', W('small'), '--discard-previous', '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a path that set (small|hooked) backs up .* pass --into-source/);
    r = await cli(['restore', 'small', '--to', W('small', 'sub', 'restored'), '--wait']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lies inside a path that set (small|hooked) backs up/);
    expect(snapshotTree(W('small'))).toEqual(before);
    r = await cli(['restore', 'small', '--to', W('small'), '--into-source', '--wait', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as RestoreResult;
    // Archives hold absolute paths (as GNU tar stores them): the tree comes back under the target.
    expect(readFileSync(path.join(W('small'), W('small', 'a.txt')), 'utf8')).toBe('alpha\n');
    expect(result.previous).toMatch(/small\.ha-previous-/);
    expect(snapshotTree(result.previous!)).toEqual(before);
  });
});

describe('7. long hook timeouts', () => {
  it('hooks with a timeout of 30d and of exactly 2^31 ms run to their end', async () => {
    const r = await cli(['backup', 'run', 'hooked', '--wait', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as BackupResult;
    expect(result.hooks.map((h) => [h.ok, h.exitCode])).toEqual([
      [true, 0],
      [true, 0],
    ]);
  });
});

describe('10. two restores of one backup', () => {
  it('into two directories: both run', async () => {
    const [a, b] = await Promise.all([
      cli(['restore', 'small', '--id', ids.small[0]!, '--to', W('two-a'), '--wait', '--json']),
      cli(['restore', 'small', '--id', ids.small[0]!, '--to', W('two-b'), '--wait', '--json']),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(readFileSync(path.join(W('two-a'), W('small', 'a.txt')), 'utf8')).toBe('alpha\n');
    expect(readFileSync(path.join(W('two-b'), W('small', 'a.txt')), 'utf8')).toBe('alpha\n');
  });

  it('into one directory: the second is refused, naming the running one (exit 1)', async () => {
    const target = W('two-same');
    const first = await startRestore('big', ids.big[0]!, target, SLOW);
    await stagingAppears(target);
    // The same backup again, and another backup: the target's lock on the host refuses both.
    // (Had two starts raced past that check, the same backup would still meet the server's
    // refusal of a second workflow with the same ID.)
    for (const id of [ids.big[0]!, ids.big[1]!]) {
      const r = await cli(['restore', 'big', '--id', id, '--to', target]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`a restore into ${target} is already in progress: workflow ${first} (run `);
      // Its phase when asked: extracting, or (on a slow machine, by the second ask) past that.
      expect(r.stderr).toMatch(new RegExp(`backup ${ids.big[0]} of set big, (extracting|extracted) since`));
    }
    await client.workflow.getHandle(first).result();
    const r = await cli([
      'restore',
      'big',
      '--id',
      ids.big[1]!,
      '--to',
      target,
      '--discard-previous',
      '--wait',
    ]);
    expect(r.code).toBe(0);
  });
});
