// Backup and restore speed against GNU tar + gzip at the same level, in the same run, on the
// same generated corpus; and the whole backup workflow (Temporal included) against the bare
// archive step. Restores are measured against `tar -xzf` and `tar -I pigz -xf`, and once more
// without the manifest's member index (as an older backup is restored).
// Over 400 lines on purpose: corpus, archive, restore and workflow runs share one work tree.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createBackupActivities } from '../activities/backup';
import { createArchive } from '../activities/backup/archive';
import { restoreBackup } from '../activities/backup/restore';
import type { ArchiveResult, BackupResult, BackupSetSpec, Manifest } from '../src/backup/model/types';
import { ensureTemporalCli } from '../src/platform/temporal/cli-binary';
import { freePort, startDevServer } from '../src/platform/temporal/dev-server';
import { fmt, median } from './util';

const LEVEL = 6;
const RUNS = 3;
const RESTORE_RUNS = 5;

/** Restore must beat the faster of `tar -xzf` and `tar -I pigz -xf` by this much. */
const RESTORE_TARGET = 1.3;

/** pigz, installed from Debian when missing (as root); null (and a message) when it cannot be. */
function ensurePigz(log: (l: string) => void): string | null {
  const found = spawnSync('sh', ['-c', 'command -v pigz'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    log(
      'pigz is not installed and installing it needs root (apt-get install pigz): its reference is skipped',
    );
    return null;
  }
  log('installing pigz (apt-get install pigz) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
  const r = spawnSync('apt-get', ['install', '-y', '-q', 'pigz'], { encoding: 'utf8', env });
  const again = spawnSync('sh', ['-c', 'command -v pigz'], { encoding: 'utf8' }).stdout.trim();
  if (!again) log(`apt-get install pigz failed: ${(r.stderr || r.stdout || String(r.error)).slice(-300)}`);
  return again || null;
}

export interface BackupBenchResult {
  corpus: { files: number; bytes: number };
  gzipLevel: number;
  runs: number;
  restoreRuns: number;
  workDir: string;
  archive: {
    oursSec: number;
    tarSec: number;
    speedRatio: number;
    oursBytes: number;
    tarBytes: number;
    sizeRatio: number;
  };
  restore: {
    oursSec: number;
    /** The same backup with a manifest without its member index (restored on one core). */
    serialSec: number;
    members: number;
    tarSec: number;
    /** `tar -I pigz -xf`; null when pigz could not be installed. */
    pigzSec: number | null;
    /** The faster of the two references. */
    fastestRef: number;
    speedRatio: number;
  };
  workflow: { workflowSec: number; bareSec: number; overhead: number };
  pass: { archiveSpeed: boolean; archiveSize: boolean; restoreSpeed: boolean; workflowOverhead: boolean };
}

/** A deterministic corpus: many small text files, large compressible logs, random blobs. */
export function makeCorpus(root: string): { files: number; bytes: number } {
  const marker = path.join(root, '.complete');
  if (!existsSync(marker)) {
    rmSync(root, { recursive: true, force: true });
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const words =
      'error warning info debug request response user session cache database query timeout retry connection server client backup restore host alpha beta gamma delta latency throughput'.split(
        ' ',
      );
    const text = (n: number): string => {
      const parts: string[] = [];
      let len = 0;
      while (len < n) {
        const w = (): string => words[Math.floor(rnd() * words.length)]!;
        const line = `2026-11-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}T${String(Math.floor(rnd() * 24)).padStart(2, '0')}:${String(Math.floor(rnd() * 60)).padStart(2, '0')}:00Z ${w()} id=${Math.floor(rnd() * 1e6)} ${w()} ${w()} took ${Math.floor(rnd() * 1000)}ms\n`;
        parts.push(line);
        len += line.length;
      }
      return parts.join('').slice(0, n);
    };
    for (let d = 0; d < 100; d++) {
      const dir = path.join(root, 'small', `d${d}`);
      mkdirSync(dir, { recursive: true });
      for (let f = 0; f < 100; f++)
        writeFileSync(path.join(dir, `f${f}.txt`), text(1000 + Math.floor(rnd() * 15000)));
    }
    mkdirSync(path.join(root, 'large'), { recursive: true });
    for (let i = 0; i < 4; i++) writeFileSync(path.join(root, 'large', `log${i}.log`), text(40 << 20));
    for (let i = 0; i < 2; i++)
      writeFileSync(path.join(root, 'large', `blob${i}.bin`), randomBytes(30 << 20));
    writeFileSync(marker, '');
  }
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== '.complete') {
        files++;
        bytes += statSync(p).size;
      }
    }
  };
  walk(root);
  return { files, bytes };
}

function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

async function timedAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/**
 * Where the corpus, archives and restores live: tmpfs (/dev/shm) when there is room, so that
 * both tools are measured rather than the machine's disk (on a VM disk, write-back of earlier
 * runs makes single timings vary by a factor of four).
 */
export function benchWorkDir(fallback: string): string {
  try {
    const st = statfsSync('/dev/shm');
    if (st.bavail * st.bsize > 3 * 2 ** 30) return '/dev/shm/ha-orchestrator-bench';
  } catch {
    /* no /dev/shm */
  }
  return fallback;
}

export async function benchBackup(
  work: string,
  log: (l: string) => void = console.log,
): Promise<BackupBenchResult> {
  log(`working in ${work}`);
  const corpusDir = path.join(work, 'corpus');
  log('generating corpus (cached between runs) ...');
  const corpus = makeCorpus(corpusDir);
  const out = path.join(work, 'out');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const spec = (dest: string): BackupSetSpec => ({
    set: 'bench',
    host: 'bench',
    sources: [{ path: corpusDir, exclude: ['.complete'] }],
    commands: [],
    destination: dest,
    gzipLevel: LEVEL,
    timezone: 'UTC',
    retention: {},
    hooks: { pre: [], post: [] },
  });
  const tarFile = path.join(out, 'ref.tar.gz');
  const tarArchive = (): void => {
    execFileSync('tar', [
      '--use-compress-program',
      `gzip -${LEVEL}`,
      '--exclude',
      '.complete',
      '-cf',
      tarFile,
      '-C',
      '/',
      corpusDir.slice(1),
    ]);
  };
  let n = 0;
  const createdAt = new Date().toISOString();
  const ours = async (): Promise<{ dest: string; id: string; bytes: number; archive: ArchiveResult }> => {
    const dest = path.join(out, `ours-${++n}`);
    const id = `20260101T000000Z-${String(n).padStart(6, '0')}`;
    const r = await createArchive({ spec: spec(dest), id, createdAt });
    return { dest, id, bytes: r.archiveBytes, archive: r };
  };

  // Warm the page cache for both, then alternate which goes first so that neither is favoured.
  log('archive: warming up ...');
  tarArchive();
  const warm = await ours();
  rmSync(warm.dest, { recursive: true, force: true });
  const oursTimes: number[] = [];
  const tarTimes: number[] = [];
  let last: Awaited<ReturnType<typeof ours>> | undefined;
  for (let i = 0; i < RUNS; i++) {
    if (last) rmSync(last.dest, { recursive: true, force: true });
    const runOurs = async (): Promise<void> =>
      void oursTimes.push(await timedAsync(async () => (last = await ours())));
    const runTar = (): void => void tarTimes.push(timed(tarArchive));
    if (i % 2 === 0) {
      await runOurs();
      runTar();
    } else {
      runTar();
      await runOurs();
    }
    log(`archive run ${i + 1}: ours ${fmt(oursTimes.at(-1)!, 2)}s, tar+gzip ${fmt(tarTimes.at(-1)!, 2)}s`);
  }
  const oursBytes = last!.bytes;
  const tarBytes = statSync(tarFile).size;

  // Restore: ours = checksum + extract + per-file SHA-256 check + swap; reference = tar -xzf.
  // On a disk, targets are kept until the end: deleting trees between runs makes it noisy.
  // The workflow's own manifest step, so that the restore below checks what a real one checks.
  const manifest = await createBackupActivities({ host: 'bench' }).backupWriteManifest({
    spec: spec(last!.dest),
    id: last!.id,
    createdAt,
    archive: last!.archive,
  });
  // The same backup without its member index, as an older manifest: restored on one core.
  const legacy = path.join(out, 'legacy-dest');
  mkdirSync(legacy);
  linkSync(path.join(last!.dest, `${manifest.id}.tar.gz`), path.join(legacy, `${manifest.id}.tar.gz`));
  const m = JSON.parse(
    readFileSync(path.join(last!.dest, `${manifest.id}.manifest.json`), 'utf8'),
  ) as Manifest;
  const members = m.gzipMembers?.length ?? 0;
  delete m.gzipMembers;
  writeFileSync(path.join(legacy, `${manifest.id}.manifest.json`), JSON.stringify(m));
  const pigz = ensurePigz(log);
  const restoreOurs: number[] = [];
  const restoreSerial: number[] = [];
  const restoreTar: number[] = [];
  const restorePigz: number[] = [];
  const targets: string[] = [];
  for (let i = 0; i < RESTORE_RUNS + 1; i++) {
    const dirs = ['ours', 'serial', 'tar', 'pigz'].map((k) => path.join(out, `restore-${k}-${i}`));
    targets.push(...dirs);
    const [a, c, b, d] = dirs as [string, string, string, string];
    mkdirSync(b);
    mkdirSync(d);
    const runOurs = (destination: string, target: string) => (): Promise<number> =>
      timedAsync(() =>
        restoreBackup(
          {
            set: 'bench',
            id: manifest.id,
            destination,
            target,
            keepPrevious: false,
            allowExternalSymlinks: false,
          },
          { host: 'bench', stateDir: path.join(out, 'state') },
        ),
      );
    const runs: Array<[number[], () => Promise<number> | number]> = [
      [restoreOurs, runOurs(last!.dest, a)],
      [restoreSerial, runOurs(legacy, c)],
      [restoreTar, () => timed(() => execFileSync('tar', ['-xzf', tarFile, '-C', b]))],
      ...(pigz
        ? [
            [restorePigz, () => timed(() => execFileSync('tar', ['-I', pigz, '-xf', tarFile, '-C', d]))] as [
              number[],
              () => number,
            ],
          ]
        : []),
    ];
    // A different order each run, so that no tool always goes first (or last) on a warm cache.
    const order = runs.map((_, k) => (k + i) % runs.length);
    const took = new Map<number[], number>();
    for (const k of order) took.set(runs[k]![0], await runs[k]![1]());
    // On tmpfs deleting is cheap and keeps memory use flat; on a disk it adds write-back noise.
    if (work.startsWith('/dev/shm/')) for (const t of dirs) rmSync(t, { recursive: true, force: true });
    if (i === 0) continue; // warm-up
    for (const [list, t] of took) list.push(t);
    log(
      `restore run ${i}: ours ${fmt(took.get(restoreOurs)!, 2)}s, ours without the member index ${fmt(took.get(restoreSerial)!, 2)}s, tar -xzf ${fmt(took.get(restoreTar)!, 2)}s${pigz ? `, tar -I pigz -xf ${fmt(took.get(restorePigz)!, 2)}s` : ''}`,
    );
  }
  for (const t of targets) rmSync(t, { recursive: true, force: true });

  // The whole workflow through Temporal, against the bare archive step measured above.
  const wf = await benchWorkflow(work, spec(path.join(out, 'workflow')), log);
  const bare = median(oursTimes);
  const result: BackupBenchResult = {
    corpus,
    gzipLevel: LEVEL,
    runs: RUNS,
    restoreRuns: RESTORE_RUNS,
    workDir: work,
    archive: {
      oursSec: bare,
      tarSec: median(tarTimes),
      speedRatio: median(tarTimes) / bare,
      oursBytes,
      tarBytes,
      sizeRatio: oursBytes / tarBytes,
    },
    restore: {
      oursSec: median(restoreOurs),
      serialSec: median(restoreSerial),
      members,
      tarSec: median(restoreTar),
      pigzSec: restorePigz.length ? median(restorePigz) : null,
      fastestRef: Math.min(median(restoreTar), ...(restorePigz.length ? [median(restorePigz)] : [])),
      speedRatio: 0,
    },
    workflow: { workflowSec: wf, bareSec: bare, overhead: wf / bare - 1 },
    pass: { archiveSpeed: false, archiveSize: false, restoreSpeed: false, workflowOverhead: false },
  };
  result.restore.speedRatio = result.restore.fastestRef / result.restore.oursSec;
  result.pass = {
    archiveSpeed: result.archive.speedRatio >= 1,
    archiveSize: Math.abs(result.archive.sizeRatio - 1) <= 0.02,
    restoreSpeed: result.restore.speedRatio >= RESTORE_TARGET && result.restore.pigzSec !== null,
    workflowOverhead: result.workflow.overhead <= 0.1,
  };
  rmSync(out, { recursive: true, force: true });
  return result;
}

async function benchWorkflow(work: string, s: BackupSetSpec, log: (l: string) => void): Promise<number> {
  const cli = await ensureTemporalCli(log);
  const port = await freePort();
  const server = await startDevServer({
    bin: cli.path,
    port,
    logFile: path.join(work, 'temporal-server.log'),
  });
  const hactl = path.join(__dirname, '..', '..', 'bin', 'hactl.js');
  const worker = spawn(process.execPath, [hactl, 'worker', '--host', s.host, '--workflows'], {
    env: { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let outText = '';
      worker.stdout.on('data', (b: Buffer) => {
        outText += b.toString();
        if (outText.includes('worker ready')) resolve();
      });
      worker.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
    });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const times: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      rmSync(s.destination, { recursive: true, force: true });
      const t = performance.now();
      const r = (await client.workflow.execute('backupWorkflow', {
        taskQueue: 'ha-orchestrator',
        workflowId: `bench-${Date.now()}-${i}`,
        args: [{ spec: s, trigger: 'api' }],
      })) as BackupResult;
      const sec = (performance.now() - t) / 1000;
      if (i === 0) continue; // warm-up: the worker's first workflow pays for caches
      times.push(sec);
      log(`workflow run ${i}: ${fmt(sec, 2)}s (backup ${r.id}, ${r.files} files)`);
    }
    await connection.close();
    return median(times);
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await server.stop();
  }
}

export function printBackup(r: BackupBenchResult): void {
  const mib = (b: number): string => `${fmt(b / 2 ** 20, 1)} MiB`;
  const ok = (b: boolean): string => (b ? 'PASS' : 'FAIL');
  console.log(
    `backup corpus: ${r.corpus.files} files, ${mib(r.corpus.bytes)} in ${r.workDir}; gzip level ${r.gzipLevel}; median of ${r.runs} archive and ${r.restoreRuns} restore runs`,
  );
  console.log(
    `  archive:  ours ${fmt(r.archive.oursSec, 2)}s, GNU tar+gzip ${fmt(r.archive.tarSec, 2)}s -> ${fmt(r.archive.speedRatio, 2)}x as fast (target >= 1.00): ${ok(r.pass.archiveSpeed)}`,
  );
  console.log(
    `  size:     ours ${mib(r.archive.oursBytes)}, tar+gzip ${mib(r.archive.tarBytes)} -> ${fmt((r.archive.sizeRatio - 1) * 100, 2)}% (target within 2%): ${ok(r.pass.archiveSize)}`,
  );
  console.log(
    `  restore:  ours ${fmt(r.restore.oursSec, 2)}s (checksum + extract + per-file SHA-256 + swap; ${r.restore.members} gzip members decompressed on every core), ` +
      `tar -xzf ${fmt(r.restore.tarSec, 2)}s, tar -I pigz -xf ${r.restore.pigzSec === null ? 'not measured (pigz missing)' : `${fmt(r.restore.pigzSec, 2)}s`} -> ` +
      `${fmt(r.restore.speedRatio, 2)}x as fast as the faster (target >= ${fmt(RESTORE_TARGET, 2)}): ${ok(r.pass.restoreSpeed)}`,
  );
  console.log(
    `            the same backup without the member index (an older manifest): ${fmt(r.restore.serialSec, 2)}s, ${fmt(r.restore.fastestRef / r.restore.serialSec, 2)}x`,
  );
  console.log(
    `  workflow: ${fmt(r.workflow.workflowSec, 2)}s through Temporal vs ${fmt(r.workflow.bareSec, 2)}s bare archive step -> ${r.workflow.overhead >= 0 ? '+' : ''}${fmt(r.workflow.overhead * 100, 1)}% (target <= 10%): ${ok(r.pass.workflowOverhead)}`,
  );
}
