// How fast hactl answers: `--version` and `--help` against `node -e 0` (the floor: Node's own
// start-up), measured interleaved in the same run; the API entry's require time; and
// `hactl status` against a running dev server, split into its RPCs (the same collection run in
// this process over an open connection) and the rest (start-up, connecting, printing).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { connectClient } from '../src/platform/temporal/connection';
import { applyConfig, collectStatus, loadConfig } from '../src/platform/registry-api';
import { ensureTemporalCli } from '../src/platform/temporal/cli-binary';
import { freePort, startDevServer } from '../src/platform/temporal/dev-server';
import { fmt, median } from './util';

const ROOT = path.resolve(__dirname, '..', '..');
const HACTL = path.join(ROOT, 'bin', 'hactl.js');

function wallMs(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return ms;
}

export interface CliBenchResult {
  runs: number;
  floorMs: number;
  versionMs: number;
  helpMs: number;
  apiRequireMs: number;
  /** `node -e "require('@temporalio/client')"`: what any program that speaks to Temporal pays. */
  clientRequireMs: number;
  status: { wallMs: number; rpcMs: number; restMs: number };
  targetMs: number;
  pass: { version: boolean; help: boolean; statusRest: boolean };
}

async function statusTimes(runs: number): Promise<CliBenchResult['status']> {
  const cli = await ensureTemporalCli(() => undefined);
  const port = await freePort();
  const server = await startDevServer({ bin: cli.path, port });
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    HA_HOST: 'local',
  };
  let worker: ChildProcess | undefined;
  try {
    worker = spawn(process.execPath, [HACTL, 'worker', '--host', 'local', '--workflows'], {
      env,
      stdio: 'ignore',
    });
    const config = loadConfig(path.join(ROOT, 'config', 'high_availability.yml'));
    const conn = await connectClient({ address: server.address });
    try {
      await applyConfig(conn.client, config);
      // Until the monitor answers with a snapshot, status would time out on its query.
      for (let i = 0; i < 200; i++) {
        const r = await collectStatus(conn.client, config);
        if ((r.hosts as Array<{ state: string }>)[0]?.state === 'up') break;
        await new Promise((res) => setTimeout(res, 250));
      }
    } finally {
      await conn.close();
    }
    const wall: number[] = [];
    const rpc: number[] = [];
    const cfgFile = path.join(ROOT, 'config', 'high_availability.yml');
    for (let i = 0; i < runs; i++) {
      wall.push(wallMs([HACTL, 'status', '--config', cfgFile], env));
      const t0 = performance.now();
      const c = await connectClient({ address: server.address });
      await collectStatus(c.client, config);
      await c.close();
      rpc.push(performance.now() - t0);
    }
    const w = median(wall);
    const r = median(rpc);
    return { wallMs: w, rpcMs: r, restMs: w - r };
  } finally {
    worker?.kill('SIGTERM');
    await server.stop();
  }
}

export async function benchCli(runs = 10): Promise<CliBenchResult> {
  const floor: number[] = [];
  const version: number[] = [];
  const help: number[] = [];
  const api: number[] = [];
  const client: number[] = [];
  const apiEntry = path.join(ROOT, 'dist', 'src', 'api.js');
  wallMs([HACTL, '--version']); // warm the file cache
  for (let i = 0; i < runs; i++) {
    floor.push(wallMs(['-e', '0']));
    version.push(wallMs([HACTL, '--version']));
    help.push(wallMs([HACTL, '--help']));
    api.push(wallMs(['-e', `require(${JSON.stringify(apiEntry)})`]));
    client.push(wallMs(['-e', "require('@temporalio/client')"]));
  }
  const target = 150;
  const status = await statusTimes(runs);
  return {
    runs,
    floorMs: median(floor),
    versionMs: median(version),
    helpMs: median(help),
    apiRequireMs: median(api),
    clientRequireMs: median(client),
    status,
    targetMs: target,
    pass: {
      version: median(version) <= target,
      help: median(help) <= target,
      statusRest: status.restMs <= target,
    },
  };
}

export function printCli(r: CliBenchResult): void {
  const ok = (b: boolean): string => (b ? 'PASS' : 'FAIL');
  console.log(`hactl start-up (median of ${r.runs} runs, wall, interleaved with the floor):`);
  console.log(`  node -e 0 (floor):  ${fmt(r.floorMs)} ms`);
  console.log(
    `  hactl --version:    ${fmt(r.versionMs)} ms (floor + ${fmt(r.versionMs - r.floorMs)}); target <= ${r.targetMs} ms: ${ok(r.pass.version)}`,
  );
  console.log(
    `  hactl --help:       ${fmt(r.helpMs)} ms (floor + ${fmt(r.helpMs - r.floorMs)}); target <= ${r.targetMs} ms: ${ok(r.pass.help)}`,
  );
  console.log(`  require(API entry): ${fmt(r.apiRequireMs)} ms (floor + ${fmt(r.apiRequireMs - r.floorMs)})`);
  console.log(
    `  require(@temporalio/client) alone: ${fmt(r.clientRequireMs)} ms (floor + ${fmt(r.clientRequireMs - r.floorMs)})`,
  );
  console.log(
    `  hactl status:       ${fmt(r.status.wallMs)} ms = RPCs ${fmt(r.status.rpcMs)} ms (connect + collect, in process) + ${fmt(r.status.restMs)} ms start-up; target start-up <= ${r.targetMs} ms: ${ok(r.pass.statusRest)}`,
  );
  console.log(
    `    of the start-up, ${fmt(r.clientRequireMs)} ms is Node plus loading the Temporal client itself (the line above), ${fmt(r.status.restMs - r.clientRequireMs)} ms ours`,
  );
}
