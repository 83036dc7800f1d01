// Failover of a real PostgreSQL streaming-replication pair: a primary and a replica made with
// pg_basebackup on loopback ports, two host workers, the suite's server. The primary is stopped
// with `pg_ctl stop -m immediate`; the replica is promoted with `pg_ctl promote`, verified with
// `SELECT pg_is_in_recovery()`, and accepts a write; the old primary, fenced, comes back only as
// a standby. Needs root (to run PostgreSQL as the postgres user) and Debian's postgresql.
import { chmodSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { failoverHistory, groupState } from '../../src/failover/client';
import type { GroupView } from '../../src/failover/model/types';
import { readState } from '../setup/shared';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { asPostgres, makePair, psql, stopAll } from '../helpers/postgres';
import type { PgPair } from '../helpers/postgres';
import { freePorts } from '../helpers/service';

const env = testEnv(__filename);
const tmp = tempDir('failover-pg');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const bin = readState().postgres;
const describeIfPg = typeof bin === 'string' ? describe : describe.skip;
if (typeof bin !== 'string') console.warn(`skipping the PostgreSQL failover test: ${bin.error}`);
let client: Client;
let close: () => Promise<void>;
let pair: PgPair;
const workers: WorkerProcess[] = [];
const state = (): Promise<GroupView> => groupState(client, 'pg');

describeIfPg('failover of a real PostgreSQL pair', () => {
  const pg = bin as string;
  beforeAll(async () => {
    const [p1, p2] = await freePorts(2);
    chmodSync(tmp.dir, 0o755); // the postgres user works under it
    pair = makePair(pg, W('data'), [p1!, p2!]);
    ({ client, close } = await connect(env));
    for (const h of ['alpha', 'beta']) workers.push(await startWorker(env, h));
    const asPg = (args: string[]) => JSON.stringify(['runuser', '-u', 'postgres', '--', ...args]);
    const ctl = path.join(pg, 'pg_ctl');
    writeConfig(
      tmp.dir,
      'ha.yml',
      `version: 1
hosts: [{ name: alpha }, { name: beta }]
failover:
  - name: pg
    nodes:
      - { name: pg1, host: alpha, priority: 100, env: { PGPORT: '${pair.primary.port}', PGDATA: ${JSON.stringify(pair.primary.dir)} } }
      - { name: pg2, host: beta, priority: 90, env: { PGPORT: '${pair.replica.port}', PGDATA: ${JSON.stringify(pair.replica.dir)} } }
    primary: pg1
    health: [{ type: tcp, address: '127.0.0.1:\${PGPORT}', interval: 500ms, timeout: 400ms, failureThreshold: 3 }]
    role:
      type: command
      argv: [${JSON.stringify(path.join(pg, 'psql'))}, -h, 127.0.0.1, -p, '\${PGPORT}', -U, postgres, -tAc, 'SELECT pg_is_in_recovery()']
      interval: 500ms
      timeout: 2s
    actions:
      # Stop it if it runs, and make any restart come back as a standby, never as a primary.
      fence:
        - { argv: ${asPg(['sh', '-c', `${ctl} -D "$1" status >/dev/null && ${ctl} -D "$1" stop -m immediate; touch "$1/standby.signal"`, 'fence', '${PGDATA}'])} }
      promote: { argv: ${asPg([ctl, '-D', '${PGDATA}', 'promote', '-w'])}, timeout: 30s }
    verifyTimeout: 20s
    cooldown: 0s
`,
    );
    const applied = await hactl(['apply', W('ha.yml')], { env: env.env });
    if (applied.code !== 0) throw new Error(applied.stderr);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    if (pair) stopAll(pg, pair);
    await close?.();
    tmp.cleanup();
  });

  it('sees pg1 as the primary and pg2 replicating', async () => {
    const v = await waitFor(
      async () => {
        const s = await state();
        return s.nodes.every((n) => n.health === 'up') ? s : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(v.nodes.map((n) => [n.name, n.role])).toEqual([
      ['pg1', 'primary'],
      ['pg2', 'standby'],
    ]);
    expect(psql(pg, pair.primary.port, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)').ok).toBe(true);
    await waitFor(() => psql(pg, pair.replica.port, 'SELECT count(*) FROM t').out === '1');
  });

  it('pg_ctl stop -m immediate on the primary: the replica is promoted, verified, and takes writes', async () => {
    const t0 = Date.now();
    asPostgres([path.join(pg, 'pg_ctl'), '-D', pair.primary.dir, 'stop', '-m', 'immediate']);
    await waitFor(async () => (await state()).primary === 'pg2', { timeoutMs: 60_000 });
    console.log(`PostgreSQL: primary stopped -> replica verified primary after ${Date.now() - t0} ms`);
    expect(psql(pg, pair.replica.port, 'SELECT pg_is_in_recovery()').out).toBe('f');
    expect(psql(pg, pair.replica.port, 'INSERT INTO t VALUES (2)').ok).toBe(true);
    expect(psql(pg, pair.replica.port, 'SELECT count(*) FROM t').out).toBe('2');
    const ev = (await failoverHistory(client, 'pg')).find((e) => e.kind === 'failover')!;
    expect(ev).toMatchObject({ from: 'pg1', to: 'pg2' });
    expect(existsSync(path.join(pair.primary.dir, 'standby.signal'))).toBe(true);
  });

  it('the old primary restarted comes back as a standby, never a second primary', async () => {
    asPostgres([
      path.join(pg, 'pg_ctl'),
      '-D',
      pair.primary.dir,
      '-l',
      W('data', 'pg1-again.log'),
      '-w',
      'start',
    ]);
    await waitFor(() => psql(pg, pair.primary.port, 'SELECT pg_is_in_recovery()').out === 't', {
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 2000));
    const primaries = [pair.primary.port, pair.replica.port].filter(
      (p) => psql(pg, p, 'SELECT pg_is_in_recovery()').out === 'f',
    );
    expect(primaries).toEqual([pair.replica.port]);
    const v = await state();
    expect(v.primary).toBe('pg2');
    expect(v.nodes.find((n) => n.name === 'pg1')).toMatchObject({ fenced: true, role: 'standby' });
  });
});
