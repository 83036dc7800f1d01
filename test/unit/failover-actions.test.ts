// Failover actions on real processes and a real HTTP server: a command's failure with what it
// printed, HTTP calls with their status, and a promotion that asks the role first.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promote, runAction, verifyPrimary } from '../../activities/failover/act';
import type { ProbeSpec } from '../../src/core/probe';
import type { ActionSpec } from '../../src/failover/model/types';

let server: Server;
let base = '';
const seen: string[] = [];
let role = 'standby';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      if (req.url === '/role') return void res.end(role);
      if (req.url === '/promote') {
        role = 'primary';
        return void res.end('ok');
      }
      if (req.url === '/broken') return void res.writeHead(503).end('fencing device offline');
      res.writeHead(req.url === '/accepted' ? 202 : 200).end('done');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const deps = () => ({ host: 'alpha', env: { ...process.env, NODE_NAME: 'pg1', BASE: base } });
const http = (
  path: string,
  extra: Partial<Extract<ActionSpec, { http: unknown }>['http']> = {},
): ActionSpec => ({
  host: null,
  http: { url: `\${BASE}${path}`, method: 'POST', timeoutMs: 2000, expectStatus: [], body: null, ...extra },
});
const cmd = (argv: string[]): ActionSpec => ({
  host: null,
  command: { argv, timeoutMs: 5000, env: {}, shell: false },
});

describe('failover actions', () => {
  it('a command: exit 0, or a failure that says what it printed', async () => {
    await expect(runAction('fence', cmd(['true']), deps())).resolves.toMatchObject({
      detail: '`true` exit 0',
    });
    await expect(
      runAction('fence', cmd(['sh', '-c', 'echo "no route to pdu" >&2; exit 7']), deps()),
    ).rejects.toThrow(
      'fence on alpha: `sh -c "echo \\"no route to pdu\\" >&2; exit 7"` exited with status 7: no route to pdu',
    );
  });

  it('an HTTP call: any 2xx by default, its body with ${...} resolved; another status is a failure', async () => {
    await expect(
      runAction('repoint', http('/dns', { body: '{"primary":"${NODE_NAME}"}' }), deps()),
    ).resolves.toMatchObject({
      detail: `POST \${BASE}/dns: 200`,
    });
    expect(seen.at(-1)).toBe('POST /dns {"primary":"pg1"}');
    await expect(runAction('repoint', http('/accepted'), deps())).resolves.toBeTruthy();
    await expect(runAction('repoint', http('/accepted', { expectStatus: [200] }), deps())).rejects.toThrow(
      'repoint on alpha: POST ${BASE}/accepted answered 202: done',
    );
    await expect(runAction('fence', http('/broken'), deps())).rejects.toThrow(
      'fence on alpha: POST ${BASE}/broken answered 503: fencing device offline',
    );
  });

  it('promote asks the role first: a node that says primary is not promoted again', async () => {
    const roleProbe: ProbeSpec = {
      type: 'http',
      url: '${BASE}/role',
      expectStatus: [],
      bodyContains: null,
      intervalMs: 100,
      timeoutMs: 500,
      failureThreshold: 1,
      successThreshold: 1,
      initialDelayMs: 0,
    };
    role = 'standby';
    await expect(promote(roleProbe, http('/promote'), deps())).resolves.toMatchObject({
      detail: 'POST ${BASE}/promote: 200',
    });
    const promotions = seen.filter((x) => x.startsWith('POST /promote')).length;
    await expect(promote(roleProbe, http('/promote'), deps())).resolves.toMatchObject({
      detail: 'already primary: not promoted again',
    });
    expect(seen.filter((x) => x.startsWith('POST /promote')).length).toBe(promotions);
    await expect(verifyPrimary(roleProbe, 1000, deps())).resolves.toBeTruthy();
    role = 'standby';
    await expect(verifyPrimary(roleProbe, 300, deps())).rejects.toThrow(
      'the promoted node did not say primary within 0.3s (it said standby)',
    );
  });
});
