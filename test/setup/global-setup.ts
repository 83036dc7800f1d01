// Starts one Temporal dev server for the whole run (in memory, free port, headless); every worker
// the tests start loads the workflow bundle that the build made.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ensureTemporalCli } from '../../src/platform/temporal/cli-binary';
import { freePort, startDevServer } from '../../src/platform/temporal/dev-server';
import { ensureRestic } from '../helpers/restic';
import { ALERTMANAGER, ensureGoTool } from '../helpers/go-tools';
import { ensurePostgres } from '../helpers/postgres';
import { ensureWorkflowBundle } from '../../src/platform/worker/bundle';
import { namespacesForFiles, ROOT, STATE_FILE, TEST_DATA } from './shared';
import type { TestServerState } from './shared';

function testFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? testFiles(path.join(dir, e.name))
        : e.name.endsWith('.test.js')
          ? [path.join(dir, e.name)]
          : [],
    );
  } catch {
    return [];
  }
}

export default async function globalSetup(): Promise<void> {
  mkdirSync(TEST_DATA, { recursive: true });
  const cli = process.env.TEMPORAL_CLI_FOR_TESTS
    ? { path: process.env.TEMPORAL_CLI_FOR_TESTS }
    : await ensureTemporalCli((l) => console.error(l));
  // Only the retention conformance test needs restic; without it that one file fails, loudly.
  let restic: string | { error: string };
  try {
    restic = await ensureRestic((l) => console.error(l));
  } catch (err) {
    restic = { error: (err as Error).message };
  }
  // Alertmanager and amtool, for the notification tests; without them those tests skip, saying why.
  let alertmanager: string | { error: string };
  try {
    alertmanager = await ensureGoTool(ALERTMANAGER, (l) => console.error(l));
  } catch (err) {
    alertmanager = { error: (err as Error).message };
  }
  // PostgreSQL, for the failover test on a real streaming-replication pair.
  let postgres: string | { error: string };
  try {
    postgres = ensurePostgres((l) => console.error(l));
  } catch (err) {
    postgres = { error: (err as Error).message };
  }
  const namespaces = namespacesForFiles(testFiles(path.join(ROOT, 'dist', 'test')));
  const port = await freePort();
  const server = await startDevServer({
    bin: cli.path,
    port,
    namespaces,
    logFile: path.join(TEST_DATA, 'temporal-server.log'),
  });

  // The bundle the build made (rebuilt if the code is newer), as every worker uses it.
  const bundlePath = await ensureWorkflowBundle((l) => console.error(l));

  const state: TestServerState = {
    address: server.address,
    temporalCli: cli.path,
    workflowBundle: bundlePath,
    restic,
    alertmanager,
    postgres,
    pid: server.process.pid!,
    namespaces,
  };
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  process.env.HA_WORKFLOW_BUNDLE = bundlePath;
  (globalThis as { __haServer?: { stop(): Promise<void> } }).__haServer = server;
}
