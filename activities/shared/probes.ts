// One probe of a service instance, on its host: HTTP (status, optional body text), TCP connect,
// or a command that must exit 0 — each within its timeout, a hang counting as a failure.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { ProbeSpec } from '../../src/core/probe';
import { probeName } from '../../src/core/probe';
import { resolveRefs, runCommand } from './command';

export { probeName };

export interface ProbeContext {
  host: string;
  /** The worker's environment plus the instance's (HA_SERVICE, HA_INSTANCE, HA_HOST). */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface ProbeOutcome {
  ok: boolean;
  /** What was seen: "HTTP 200", "connection refused", "timed out after 1s". */
  detail: string;
}

const MAX_BODY = 64 * 1024;

function httpProbe(p: Extract<ProbeSpec, { type: 'http' }>, ctx: ProbeContext): Promise<ProbeOutcome> {
  const url = resolveRefs(p.url, ctx.env, ctx.host, 'probe url');
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: ProbeOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(o);
    };
    // Removed again when the probe ends: a watch probes for as long as its signal lives.
    const onAbort = (): void => finish({ ok: false, detail: 'cancelled' });
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { headers: { 'user-agent': 'ha-orchestrator-probe' }, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      const okStatus = p.expectStatus.length
        ? p.expectStatus.includes(status)
        : status >= 200 && status < 400;
      if (!okStatus) return finish({ ok: false, detail: `HTTP ${status}` });
      if (p.bodyContains === null) return finish({ ok: true, detail: `HTTP ${status}` });
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < MAX_BODY) body += c;
        if (body.includes(p.bodyContains!)) finish({ ok: true, detail: `HTTP ${status}` });
      });
      res.on('end', () =>
        finish({
          ok: body.includes(p.bodyContains!),
          detail: `HTTP ${status}, body without "${p.bodyContains}"`,
        }),
      );
      res.on('error', (e) => finish({ ok: false, detail: e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, detail: e.code ?? e.message }));
    const timer = setTimeout(
      () => finish({ ok: false, detail: `timed out after ${p.timeoutMs} ms` }),
      p.timeoutMs,
    );
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function tcpProbe(p: Extract<ProbeSpec, { type: 'tcp' }>, ctx: ProbeContext): Promise<ProbeOutcome> {
  const address = resolveRefs(p.address, ctx.env, ctx.host, 'probe address');
  const i = address.lastIndexOf(':');
  const hostPart = address.slice(0, i).replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    let done = false;
    const sock = net.connect({ host: hostPart, port });
    const finish = (o: ProbeOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(o);
    };
    const onAbort = (): void => finish({ ok: false, detail: 'cancelled' });
    sock.once('connect', () => finish({ ok: true, detail: 'connected' }));
    sock.once('error', (e: NodeJS.ErrnoException) => finish({ ok: false, detail: e.code ?? e.message }));
    const timer = setTimeout(
      () => finish({ ok: false, detail: `timed out after ${p.timeoutMs} ms` }),
      p.timeoutMs,
    );
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function commandProbe(
  p: Extract<ProbeSpec, { type: 'command' }>,
  ctx: ProbeContext,
): Promise<ProbeOutcome> {
  // The probe's timeout wins over the command's own: a probe that hangs is a failed probe.
  const cmd = { ...p.command, timeoutMs: Math.min(p.command.timeoutMs, p.timeoutMs) };
  const o = await runCommand(cmd, { host: ctx.host, where: 'probe', env: ctx.env, signal: ctx.signal });
  if (o.timedOut) return { ok: false, detail: `timed out after ${cmd.timeoutMs} ms` };
  if (o.exitCode === 0) return { ok: true, detail: 'exit 0' };
  const err = o.stderrTail.trim().split('\n').at(-1) ?? '';
  return {
    ok: false,
    detail: `${o.exitCode !== null ? `exit ${o.exitCode}` : `killed by ${o.signal}`}${err ? `: ${err.slice(0, 200)}` : ''}`,
  };
}

/** Runs one probe; never throws for what the service does (a refused connection is a result). */
export async function runProbe(p: ProbeSpec, ctx: ProbeContext): Promise<ProbeOutcome> {
  if (p.type === 'http') return httpProbe(p, ctx);
  if (p.type === 'tcp') return tcpProbe(p, ctx);
  return commandProbe(p, ctx);
}

/** Every probe of the instance, in order; the first failure is the answer. */
export async function probeAll(probes: readonly ProbeSpec[], ctx: ProbeContext): Promise<ProbeOutcome> {
  for (const p of probes) {
    const o = await runProbe(p, ctx);
    if (!o.ok) return { ok: false, detail: `${probeName(p)}: ${o.detail}` };
  }
  return { ok: true, detail: probes.length ? 'probes passed' : 'no probes' };
}
