// State handed from global setup to the test files (jest runs them in other processes).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const TEST_DATA = path.join(ROOT, '.data', 'test');
export const STATE_FILE = path.join(TEST_DATA, 'server.json');

export interface TestServerState {
  address: string;
  temporalCli: string;
  workflowBundle: string;
  /** Path of the restic binary, or why there is none. */
  restic: string | { error: string };
  /** Directory with alertmanager and amtool, or why there is none. */
  alertmanager: string | { error: string };
  /** Directory of PostgreSQL's binaries (pg_ctl, initdb, ...), or why there is none. */
  postgres: string | { error: string };
  pid: number;
  namespaces: string[];
}

export function readState(): TestServerState {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as TestServerState;
}

/**
 * One namespace per test file, so files running in parallel never share queues or workflow IDs.
 * Named by the path under the test folder (test/workflows/alerts.test.ts and
 * test/integration/alerts.test.ts are different files: t-workflows-alerts, t-integration-alerts).
 */
export function namespaceForFile(file: string): string {
  const parts = path.resolve(file).split(path.sep);
  const under = parts.slice(parts.lastIndexOf('test') + 1).join('-');
  const name = under.replace(/\.test\.(js|ts)$/, '');
  return `t-${name.replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 60);
}

/** The namespaces of these test files; two files that would share one are refused. */
export function namespacesForFiles(files: string[]): string[] {
  const seen = new Map<string, string>();
  for (const f of files) {
    const ns = namespaceForFile(f);
    const other = seen.get(ns);
    if (other) throw new Error(`test files ${other} and ${f} would share the namespace ${ns}; rename one`);
    seen.set(ns, f);
  }
  return [...seen.keys()];
}
