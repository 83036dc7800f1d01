// `hactl status`'s backup section against real backup runs (mocked activities): it reads the
// fleet's runs from one listing, newest first, and each set by itself only where the listing
// leaves it open (a run in progress, or the listing cut short). Both paths must agree.
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { BackupSection } from '../../src/backup/desired';
import { BACKUP_MEMO } from '../../src/backup/model/ids';
import type { BackupResult, BackupSetSpec, BackupSummary } from '../../src/backup/model/types';
import { backupStatus } from '../../src/backup/status';
import type { BackupSetStatus } from '../../src/backup/status';
import { SHARED_TASK_QUEUE } from '../../src/core/names';
import { SA, searchAttributePairs } from '../../src/core/search-attributes';
import type { BaseConfig } from '../../src/platform/config/load';
import { statusContext } from '../../src/platform/status';
import type { backupWorkflow } from '../../workflows/backup/backup';
import { testEnv, waitFor } from '../helpers';
import { backupSpec } from '../helpers/backup-spec';
import { unique, withMockedActivities } from './harness';

const env = testEnv(__filename);

const spec = (set: string, host: string): BackupSetSpec => backupSpec(set, host, { pre: [], post: [] });

/** Backup activities that succeed, fail for the sets in `failing`, or wait for `release`. */
function activities(failing: Set<string>, holding: Set<string>, release: Promise<void>) {
  return {
    async backupCreateArchive(input: { spec: BackupSetSpec }) {
      if (failing.has(input.spec.set))
        throw ApplicationFailure.nonRetryable('destination full', 'DestinationFull');
      if (holding.has(input.spec.set)) await release;
      return {
        archive: 'x.tar.gz',
        staged: '.x.partial',
        attempt: 1,
        archiveBytes: 10,
        archiveSha256: 'ab',
        files: 3,
        dirs: 0,
        symlinks: 0,
        bytesIn: 5,
        warnings: [],
        durationMs: 1,
      };
    },
    backupVerifyArchive: async () => ({ ok: true as const }),
    async backupWriteManifest(input: { spec: BackupSetSpec; id: string; createdAt: string }) {
      return {
        id: input.id,
        set: input.spec.set,
        host: input.spec.host,
        createdAt: input.createdAt,
        archive: 'x.tar.gz',
        archiveBytes: 10,
        archiveSha256: 'ab',
        gzipLevel: 6,
        sources: [],
        commands: [],
        files: 3,
        dirs: 0,
        symlinks: 0,
        bytesIn: 5,
        warnings: [],
      };
    },
    backupApplyRetention: async () => ({ decisions: [], removed: [] }),
  };
}

function start(client: Client, s: BackupSetSpec) {
  return client.workflow.start<typeof backupWorkflow>('backupWorkflow', {
    workflowId: `backup:${s.set}`,
    taskQueue: SHARED_TASK_QUEUE,
    args: [{ spec: s, trigger: 'api' }],
    typedSearchAttributes: searchAttributePairs('backup', s.set, s.host),
  });
}

describe('backup status from the listing of every run', () => {
  it('finds each set’s newest backup, a failure after it, a run in progress and a set never run', async () => {
    const host = unique('host');
    const [twice, failedLast, never, running] = ['twice', 'failed-last', 'never', 'running'].map((n) =>
      spec(unique(n), host),
    ) as [BackupSetSpec, BackupSetSpec, BackupSetSpec, BackupSetSpec];
    const failing = new Set<string>();
    const holding = new Set<string>();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const config = {
      version: 1,
      hosts: [{ name: host, labels: {} }],
      backups: [twice, failedLast, never, running].map((s) => ({ spec: s })),
    } as unknown as BaseConfig & BackupSection;

    await withMockedActivities(
      env,
      [{ host, activities: activities(failing, holding, released) }],
      async (client) => {
        const results: Record<string, BackupResult[]> = {};
        for (const s of [twice, twice, failedLast, running]) {
          (results[s.set] ??= []).push(await (await start(client, s)).result());
        }
        failing.add(failedLast.set);
        await expect((await start(client, failedLast)).result()).rejects.toThrow();
        holding.add(running.set);
        const inFlight = await start(client, running);

        // A completed run keeps its summary in its memo.
        const memo = (await client.workflow.getHandle(`backup:${twice.set}`).describe()).memo?.[
          BACKUP_MEMO.summary
        ] as BackupSummary;
        expect(memo).toEqual({
          id: results[twice.set]![1]!.id,
          createdAt: results[twice.set]![1]!.createdAt,
          files: 3,
          bytesOut: 10,
          verified: true,
        });

        // Visibility lags a moment behind the runs.
        await waitFor(
          async () => {
            let n = 0;
            for await (const w of client.workflow.list({ query: `${SA.host} = '${host}'` }))
              n += w.status.name === 'RUNNING' ? 0 : 1;
            return n === 5 || undefined;
          },
          { message: () => 'five closed runs listed', timeoutMs: 20_000 },
        );

        const check = (rows: BackupSetStatus[]): void => {
          const by = new Map(rows.map((r) => [r.set, r]));
          const t = by.get(twice.set)!;
          expect(t.newest?.id).toBe(results[twice.set]![1]!.id);
          expect(t.newest).toMatchObject({ files: 3, bytesOut: 10, verified: true });
          expect(t.lastFailure).toBeNull();
          expect(t.lastRun?.status).toBe('COMPLETED');
          const f = by.get(failedLast.set)!;
          expect(f.newest?.id).toBe(results[failedLast.set]![0]!.id);
          expect(f.lastFailure?.workflowId).toMatch(new RegExp(`^backup:${failedLast.set}/`));
          expect(f.lastRun?.status).toBe('FAILED');
          const n = by.get(never.set)!;
          expect([n.newest, n.lastRun, n.lastFailure, n.running]).toEqual([null, null, null, false]);
          const r = by.get(running.set)!;
          expect(r.running).toBe(true);
          expect(r.newest?.id).toBe(results[running.set]![0]!.id);
        };
        // The listing alone (one page), and cut short after one run (every set read by itself).
        check(await backupStatus(client, config, Date.now(), statusContext(client)));
        check(await backupStatus(client, config, Date.now(), statusContext(client), 1));

        release();
        await inFlight.result();
      },
    );
  });
});
