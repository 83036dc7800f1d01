// How a worker names itself: shown in the Web UI's worker list and parsed back by `hactl hosts`.
// Kept apart from the worker itself, so that clients can read identities without loading it.
import * as os from 'node:os';
import { PRODUCT } from '../../core/names';
import { VERSION } from '../version';

/** Workers heartbeat to the server this often; one that misses 3 is not live. */
export const WORKER_HEARTBEAT_INTERVAL_MS = 5_000;

export function workerIdentity(host: string): string {
  return `${host}@${os.hostname()} pid=${process.pid} ${PRODUCT}/${VERSION}`;
}

export function parseIdentity(identity: string): { host?: string; version?: string; pid?: number } {
  const m = /^(.+?)@\S+ pid=(\d+) ha-orchestrator\/(\S+)$/.exec(identity);
  return m ? { host: m[1]!, pid: Number(m[2]), version: m[3]! } : {};
}

export function defaultHostName(): string {
  return os.hostname().split('.')[0]!;
}
