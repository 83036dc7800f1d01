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
  pid: number;
  namespaces: string[];
}

export function readState(): TestServerState {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as TestServerState;
}

/** One namespace per test file, so files running in parallel never share queues. */
export function namespaceForFile(file: string): string {
  const base = path.basename(file).replace(/\.test\.(js|ts)$/, '');
  return `t-${base.replace(/[^A-Za-z0-9-]/g, '-')}`.slice(0, 60);
}
