// PostgreSQL for the failover test: Debian's packages (installed here with apt-get when missing
// and we are root), a primary and a streaming replica made with pg_basebackup, both on loopback
// ports under a temporary directory, run as the postgres user (initdb refuses root).
import { spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

/** The directory of pg_ctl and friends, or why there is none. */
export function ensurePostgres(log: (line: string) => void): string {
  const find = (): string | null => {
    const base = '/usr/lib/postgresql';
    if (!existsSync(base)) return null;
    const versions = readdirSync(base)
      .filter((v) => existsSync(path.join(base, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    return versions.length ? path.join(base, versions[0]!, 'bin') : null;
  };
  let bin = find();
  if (bin) return bin;
  if (process.getuid?.() !== 0)
    throw new Error('PostgreSQL is not installed and installing it needs root (apt-get install postgresql)');
  log('installing PostgreSQL (apt-get install postgresql) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
  const r = spawnSync('apt-get', ['install', '-y', '-q', 'postgresql'], { encoding: 'utf8', env });
  bin = find();
  if (!bin)
    throw new Error(
      `apt-get install postgresql failed: ${(r.stderr || r.stdout || String(r.error)).slice(-400)}`,
    );
  return bin;
}

/** Runs a command as the postgres user; throws with its output when it fails. */
export function asPostgres(argv: string[], opts: { allowFail?: boolean } = {}): string {
  const r = spawnSync('runuser', ['-u', 'postgres', '--', ...argv], { encoding: 'utf8' });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${argv.join(' ')}: ${r.stderr || r.stdout}`);
  return (r.stdout ?? '').trim();
}

export function psql(bin: string, port: number, sql: string): { ok: boolean; out: string } {
  const r = spawnSync(
    path.join(bin, 'psql'),
    ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-tAc', sql],
    {
      encoding: 'utf8',
    },
  );
  return { ok: r.status === 0, out: (r.stdout || r.stderr || '').trim() };
}

export interface PgPair {
  primary: { dir: string; port: number };
  replica: { dir: string; port: number };
}

/** One server under `dir` (its data in dir/<name>), started, trusting loopback connections. */
export function makeServer(
  bin: string,
  dir: string,
  port: number,
  name = 'pg1',
  /** More postgresql.conf lines. */
  extra: string[] = [],
): { dir: string; port: number } {
  mkdirSync(dir, { recursive: true });
  chownSync(dir, uid('postgres'), gid('postgres'));
  const p = { dir: path.join(dir, name), port };
  asPostgres([path.join(bin, 'initdb'), '-D', p.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  appendFileSync(
    path.join(p.dir, 'postgresql.conf'),
    `\nlisten_addresses = '127.0.0.1'\nport = ${p.port}\nunix_socket_directories = '${dir}'\nwal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nfsync = off\n${extra.map((l) => `${l}\n`).join('')}`,
  );
  appendFileSync(path.join(p.dir, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
  asPostgres([path.join(bin, 'pg_ctl'), '-D', p.dir, '-l', path.join(dir, `${name}.log`), '-w', 'start']);
  return p;
}

/** A primary and its streaming replica under `dir`, both started and replicating. */
export function makePair(bin: string, dir: string, ports: [number, number]): PgPair {
  const p = makeServer(bin, dir, ports[0]);
  const r = { dir: path.join(dir, 'pg2'), port: ports[1] };
  asPostgres([
    path.join(bin, 'pg_basebackup'),
    '-h',
    '127.0.0.1',
    '-p',
    String(p.port),
    '-U',
    'postgres',
    '-D',
    r.dir,
    '-R',
    '-X',
    'stream',
  ]);
  appendFileSync(path.join(r.dir, 'postgresql.conf'), `\nport = ${r.port}\n`);
  asPostgres([path.join(bin, 'pg_ctl'), '-D', r.dir, '-l', path.join(dir, 'pg2.log'), '-w', 'start']);
  return { primary: p, replica: r };
}

export function stopAll(bin: string, pair: PgPair): void {
  for (const d of [pair.primary.dir, pair.replica.dir])
    asPostgres([path.join(bin, 'pg_ctl'), '-D', d, 'stop', '-m', 'immediate'], { allowFail: true });
}

function uid(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}
function gid(user: string): number {
  return Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
}
