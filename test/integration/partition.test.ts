// A partitioned network: three hosts in their own network namespaces (iproute2: a bridge, a veth
// pair each, addresses inside the namespaces only), each with a host worker and a database-like
// node program; the Temporal server reachable from every host over the bridge. One host is cut off
// from the others' services (blackhole routes both ways), never from Temporal. A minority that
// sees the primary failing changes nothing; a majority that does fails over; healed, exactly one
// node says primary — counted by asking every node's /role from outside, not the tool.
// Skips, saying why, where network namespaces cannot be made (not root, no iproute2).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { failoverHistory, groupState } from '../../src/failover/client';
import type { GroupView } from '../../src/failover/model/types';
import { ROOT } from '../setup/shared';
import { HACTL, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { TestEnv, WorkerProcess } from '../helpers';

const shared = testEnv(__filename);
const tmp = tempDir('partition');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const NODE = path.join(ROOT, 'test', 'fixtures', 'failover', 'node.js');
const tag = (process.pid % 10000).toString();
const BRIDGE = `hapt${tag}`;
const NET = '10.231.7';
const HOSTS = [
  { name: 'alpha', ns: `hapt${tag}a`, ip: `${NET}.11`, node: 'pga' },
  { name: 'beta', ns: `hapt${tag}b`, ip: `${NET}.12`, node: 'pgb' },
  { name: 'gamma', ns: `hapt${tag}c`, ip: `${NET}.13`, node: 'pgc' },
] as const;
type Host = (typeof HOSTS)[number];
const PORT = 5433;
const RELAY_PORT = 7244;

function ip(args: string[], allowFail = false): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout;
}

/** Why namespaces cannot be made here, or null when they can (tried for real, then removed). */
function cannotPartition(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (the ip command) is not installed';
  const probe = `hapt${tag}x`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}
const why = cannotPartition();
const maybe = why ? it.skip : it;
if (why) console.warn(`partition tests skipped: ${why}`);

let relay: net.Server;
let env: TestEnv;
let connection: Connection;
let client: Client;
const workers: WorkerProcess[] = [];

/** Runs argv inside a host's namespace. */
const inNs = (h: Host, argv: string[]): string[] => ['ip', 'netns', 'exec', h.ns, ...argv];

function buildNetwork(): void {
  ip(['link', 'add', BRIDGE, 'type', 'bridge']);
  ip(['addr', 'add', `${NET}.1/24`, 'dev', BRIDGE]);
  ip(['link', 'set', BRIDGE, 'up']);
  for (const h of HOSTS) {
    ip(['netns', 'add', h.ns]);
    ip(['link', 'add', `v${h.ns}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns]);
    ip(['link', 'set', `v${h.ns}`, 'master', BRIDGE, 'up']);
    ip(['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
    ip(['-n', h.ns, 'link', 'set', 'eth0', 'up']);
    ip(['-n', h.ns, 'link', 'set', 'lo', 'up']);
  }
}

function teardownNetwork(): void {
  for (const h of HOSTS) ip(['netns', 'del', h.ns], true);
  ip(['link', 'del', BRIDGE], true);
}

/** Cuts `h` off from the other hosts (both ways); Temporal on the bridge stays reachable. */
function cut(h: Host): void {
  for (const o of HOSTS.filter((x) => x !== h)) {
    ip(['-n', h.ns, 'route', 'add', 'blackhole', `${o.ip}/32`]);
    ip(['-n', o.ns, 'route', 'add', 'blackhole', `${h.ip}/32`]);
  }
}
function heal(h: Host): void {
  for (const o of HOSTS.filter((x) => x !== h)) {
    ip(['-n', h.ns, 'route', 'del', 'blackhole', `${o.ip}/32`], true);
    ip(['-n', o.ns, 'route', 'del', 'blackhole', `${h.ip}/32`], true);
  }
}

/** What a node says of its role, asked from the root namespace over the bridge. */
async function roleOf(h: Host): Promise<string | null> {
  try {
    return await (await fetch(`http://${h.ip}:${PORT}/role`, { signal: AbortSignal.timeout(500) })).text();
  } catch {
    return null;
  }
}
const primaries = async (): Promise<string[]> =>
  (await Promise.all(HOSTS.map(async (h) => ((await roleOf(h)) === 'primary' ? h.node : null)))).filter(
    (n): n is (typeof HOSTS)[number]['node'] => n !== null,
  );

async function startNode(h: Host, role: string): Promise<void> {
  const argv = inNs(h, [
    process.execPath,
    NODE,
    'start',
    '--port',
    String(PORT),
    '--dir',
    W(h.node),
    '--role',
    role,
    '--bind',
    h.ip,
  ]);
  const code = await new Promise<number | null>((resolve) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    c.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`node ${h.node} did not start in ${h.ns}`);
}

const group = async (): Promise<GroupView | undefined> => {
  try {
    return await groupState(client, 'db');
  } catch {
    return undefined;
  }
};

beforeAll(async () => {
  if (why) return;
  teardownNetwork();
  buildNetwork();
  // The suite's server listens on 127.0.0.1 only; a TCP relay on the bridge makes it reachable
  // from every namespace, as a real network would (and the partition never touches it).
  relay = net.createServer((socket) => {
    const [host, port] = shared.address.split(':') as [string, string];
    const upstream = net.connect(Number(port), host);
    socket.pipe(upstream).pipe(socket);
    const close = (): void => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => relay.listen(RELAY_PORT, `${NET}.1`, resolve));
  const address = `${NET}.1:${RELAY_PORT}`;
  env = { ...shared, address, env: { ...shared.env, TEMPORAL_ADDRESS: address } };
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: shared.namespace });
  for (const h of HOSTS) {
    mkdirSync(W(h.node), { recursive: true });
    await startNode(h, h.name === 'alpha' ? 'primary' : 'standby');
  }
  const node = (args: string[]) => JSON.stringify([process.execPath, NODE, ...args]);
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts: [{ name: alpha }, { name: beta }, { name: gamma }]
failover:
  - name: db
    nodes:
${HOSTS.map((h, i) => `      - { name: ${h.node}, host: ${h.name}, priority: ${100 - i * 10}, env: { IP: '${h.ip}', DIR: ${JSON.stringify(W(h.node))} } }`).join('\n')}
    primary: pga
    observers: [alpha, beta, gamma]
    health: [{ type: http, url: 'http://\${IP}:${PORT}/health', interval: 500ms, timeout: 400ms, failureThreshold: 3 }]
    role: { type: http, url: 'http://\${IP}:${PORT}/role', interval: 500ms, timeout: 400ms }
    actions:
      fence: [{ argv: ${node(['fence', '--dir', '${DIR}'])} }]
      promote: { argv: ${node(['promote', '--dir', '${DIR}'])} }
      demote: { argv: ${node(['demote', '--dir', '${DIR}'])} }
    cooldown: 0s
`,
  );
  // The controller's worker outside every namespace (it is not what the partition cuts); each
  // host's worker inside its namespace, where its probes and actions run.
  workers.push(await startWorker(env, 'central', [], {}));
  for (const h of HOSTS) workers.push(await startHostInNs(h));
  const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
  if (applied.code !== 0) throw new Error(applied.stderr);
}, 180_000);

/** A host worker started inside the host's namespace (`ip netns exec`). */
async function startHostInNs(h: Host): Promise<WorkerProcess> {
  return startWorker(env, h.name, [], {}, { workflows: false, wrap: inNs(h, [process.execPath, HACTL]) });
}

afterAll(async () => {
  if (why) return;
  await Promise.all(workers.map((w) => w.stop()));
  for (const h of HOSTS) spawnSync(process.execPath, [NODE, 'stop', '--dir', W(h.node)]);
  await connection?.close();
  await new Promise((r) => relay?.close(r));
  teardownNetwork();
  tmp.cleanup();
});

maybe('every observer sees every node over the bridge: pga primary, healthy for 3 of 3', async () => {
  const v = await waitFor(
    async () => {
      const g = await group();
      return g?.nodes.every((n) => n.health === 'up') ? g : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(v.primary).toBe('pga');
  expect(await primaries()).toEqual(['pga']);
});

maybe('an observer cut off alone sees the primary failing: a minority, no failover', async () => {
  const gamma = HOSTS[2];
  cut(gamma);
  try {
    const v = await waitFor(
      async () => {
        const g = await group();
        return g?.explain.includes('gamma:') ? g : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(v.explain).toMatch(
      /^no failover: primary pga is healthy for 2 of 3 observers failing for 1 \(gamma: /,
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect((await group())!.primary).toBe('pga');
    expect(await primaries()).toEqual(['pga']);
    expect((await failoverHistory(client, 'db')).filter((e) => e.kind === 'failover')).toEqual([]);
  } finally {
    heal(gamma);
  }
  await waitFor(async () => (await group())?.nodes.every((n) => n.health === 'up'), { timeoutMs: 30_000 });
});

maybe(
  'the primary’s host cut off: the majority fails over; healed, exactly one node says primary',
  async () => {
    const alpha = HOSTS[0];
    cut(alpha);
    try {
      await waitFor(async () => (await group())?.primary === 'pgb', { timeoutMs: 60_000 });
      const ev = (await failoverHistory(client, 'db')).filter((e) => e.kind === 'failover').at(-1)!;
      expect(ev).toMatchObject({ from: 'pga', to: 'pgb' });
      // alpha's own worker still reaches Temporal, so its node was fenced where it runs.
      await waitFor(async () => (await primaries()).join() === 'pgb', { timeoutMs: 30_000 });
    } finally {
      heal(alpha);
    }
    await new Promise((r) => setTimeout(r, 3000));
    expect(await primaries()).toEqual(['pgb']);
    const v = (await group())!;
    expect(v.primary).toBe('pgb');
    expect(v.nodes.find((n) => n.name === 'pga')!.fenced).toBe(true);
  },
);
