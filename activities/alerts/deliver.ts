// Delivery of one notification to one receiver. Every way fails loudly enough for the notifier
// to retry (network errors, 5xx, 408, 429) or to give up on purpose (4xx: the receiver will not
// take this payload whatever we do).
import { createHmac } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ALERTS_FAILURES } from '../../src/alerts/model/failures';
import type { Notification, ReceiverSpec, WebhookPayload } from '../../src/alerts/model/types';
import { commandError, resolveRefs, runCommand } from '../shared/command';
import { VERSION } from '../../src/platform/version';

export interface DeliverDeps {
  host: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** Header with the HMAC-SHA256, under the receiver's secret, of `<timestamp>.<body>`. */
export const SIGNATURE_HEADER = 'X-HA-Signature';
/** Unix seconds when the delivery was signed: a receiver refuses old ones (replays). */
export const TIMESTAMP_HEADER = 'X-HA-Timestamp';

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * The receiver's secret, from the delivering worker's environment. Webhooks go out from any
 * worker, so a worker that lacks it fails this attempt only (retryable): the next attempt may
 * land on one that has it. An empty value counts as missing, never as a key.
 */
function webhookSecret(ref: string, deps: DeliverDeps, where: string): string {
  let secret: string;
  try {
    secret = resolveRefs(ref, deps.env, deps.host, where);
  } catch (err) {
    throw ApplicationFailure.retryable((err as Error).message, ALERTS_FAILURES.secretMissing);
  }
  if (secret === '') {
    throw ApplicationFailure.retryable(
      `${where} is empty on host ${deps.host}; set the variable it references in the worker's environment`,
      ALERTS_FAILURES.secretMissing,
    );
  }
  return secret;
}

async function post(
  url: string,
  body: string,
  timeoutMs: number,
  headers: Record<string, string>,
  what: string,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', 'User-Agent': `ha-orchestrator/${VERSION}`, ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    throw ApplicationFailure.retryable(`${what}: ${url}: ${why}`, 'ReceiverUnreachable');
  }
  const text = (await res.text().catch(() => '')).slice(0, 300);
  if (res.ok) return;
  const msg = `${what}: ${url} answered ${res.status}${text ? `: ${text}` : ''}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
    throw ApplicationFailure.nonRetryable(msg, ALERTS_FAILURES.receiverRejected);
  }
  throw ApplicationFailure.retryable(msg, 'ReceiverFailed');
}

/**
 * Alertmanager's v2 API takes alerts, not notifications: it groups and routes them itself.
 * Firing alerts are re-sent every repeatInterval (acknowledged or not), and each one lives
 * for two of those plus an hour (at least a day), so that a late repeat does not let
 * Alertmanager resolve an alert that still fires.
 */
export function alertmanagerAlerts(p: WebhookPayload, now: number, repeatIntervalMs: number): object[] {
  const lifeMs = Math.max(86_400_000, 2 * repeatIntervalMs + 3_600_000);
  return p.alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    endsAt: a.status === 'resolved' ? a.endsAt : new Date(now + lifeMs).toISOString(),
    generatorURL: a.generatorURL,
  }));
}

export async function deliver(receiver: ReceiverSpec, n: Notification, deps: DeliverDeps): Promise<void> {
  const body = JSON.stringify(n.payload);
  const where = `receiver ${receiver.name}`;
  switch (receiver.type) {
    case 'webhook': {
      const headers: Record<string, string> = {};
      if (receiver.hmacSecret) {
        const secret = webhookSecret(receiver.hmacSecret, deps, `${where} hmacSecret`);
        const ts = String(Math.floor(Date.now() / 1000));
        headers[TIMESTAMP_HEADER] = ts;
        headers[SIGNATURE_HEADER] = signature(secret, ts, body);
      }
      return post(receiver.url, body, receiver.timeoutMs, headers, where);
    }
    case 'alertmanager': {
      const url = `${receiver.url.replace(/\/+$/, '')}/api/v2/alerts`;
      return post(
        url,
        JSON.stringify(alertmanagerAlerts(n.payload, Date.now(), n.repeatIntervalMs ?? 0)),
        receiver.timeoutMs,
        {},
        where,
      );
    }
    case 'command': {
      let o;
      try {
        o = await runCommand(
          { argv: receiver.argv, timeoutMs: receiver.timeoutMs, env: receiver.env, shell: receiver.shell },
          { host: deps.host, where, env: deps.env, stdin: body },
        );
      } catch (err) {
        // A variable set later (and the worker restarted) lets the notification through.
        if (err instanceof ApplicationFailure && err.type === ALERTS_FAILURES.secretMissing)
          throw ApplicationFailure.retryable(err.message, err.type);
        throw err;
      }
      if (o.exitCode !== 0 || o.timedOut) throw commandError(receiver, o, where);
      return;
    }
    case 'file': {
      mkdirSync(path.dirname(receiver.path), { recursive: true });
      // One line per notification, appended and fsynced: a crash never leaves half a line.
      const fd = openSync(receiver.path, 'a', 0o640);
      try {
        const line = Buffer.from(`${body}\n`);
        let off = 0;
        while (off < line.length) off += writeSync(fd, line, off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return;
    }
    case 'log':
      deps.log(
        `notification #${n.seq} ${n.payload.status} ${n.groupKey}: ${n.payload.alerts.length} alert(s) ${body}`,
      );
      return;
  }
}
