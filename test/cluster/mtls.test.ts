// mTLS against the real Temporal server: one node of the cluster (deploy/temporal/config/
// base.yaml with TEMPORAL_TLS_FRONTEND_*) whose frontend requires a client certificate, with
// a CA, server and client certificates made by openssl for this run. Clients reach the node's
// frontend directly (the HAProxy of deploy/ balances gRPC in cleartext HTTP/2). A connection
// without a client certificate is refused — the SDK's and hactl's, with an error that says
// why; hactl with TEMPORAL_TLS_* (and with a profile) applies a config and reads the status; a
// host worker with the same settings runs a backup and a restore; and a client certificate
// from another CA, an expired one, or a client that trusts the wrong CA is refused, each with
// its reason.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../../src/platform/temporal/cli-binary';
import { ensureWorkflowBundle } from '../../src/platform/worker/bundle';
import { startCluster } from '../helpers/cluster';
import type { TemporalCluster } from '../helpers/cluster';
import { HACTL, hactl, ROOT, startWorker, tempDir, waitFor, writeConfig } from '../helpers';
import type { TestEnv, WorkerProcess } from '../helpers';
import { clientTlsEnv, ensureOpenssl, makeCertificates } from '../helpers/tls';
import type { TestCertificates } from '../helpers/tls';
import { snapshotTree } from '../helpers/tree';

let opensslMissing: string | undefined;
try {
  ensureOpenssl((l) => console.error(l));
} catch (err) {
  opensslMissing = err instanceof Error ? err.message : String(err);
  console.warn(`skipping the mTLS tests: ${opensslMissing}`);
}
const describeWithOpenssl = opensslMissing ? describe.skip : describe;

const tmp = tempDir('mtls');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const NO_PROFILE = path.join(os.tmpdir(), 'ha-orchestrator-no-such-temporal.toml');
let certs: TestCertificates;
let cluster: TemporalCluster;
/** The environment of a client without any TLS settings; `tlsEnv` has the good ones. */
let plainEnv: NodeJS.ProcessEnv;
let env: TestEnv;
const workers: WorkerProcess[] = [];

const run = (args: string[], extra: NodeJS.ProcessEnv) =>
  hactl(args, { env: { ...plainEnv, ...extra }, timeoutMs: 120_000 });
const withTls = (args: string[]) => hactl(args, { env: env.env, timeoutMs: 180_000 });

/** `hactl worker` that is expected to fail: its exit code and output. */
function failingWorker(extra: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HACTL, 'worker', '--host', 'beta'], {
      cwd: ROOT,
      env: { ...plainEnv, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the worker did not give up:\n${out}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describeWithOpenssl('mTLS on the Temporal frontend', () => {
  beforeAll(async () => {
    const temporalCli = process.env.TEMPORAL_CLI_FOR_TESTS ?? (await ensureTemporalCli(() => undefined)).path;
    certs = makeCertificates(W('certs'), ['127.0.0.2']);
    cluster = await startCluster({
      dir: W('cluster'),
      temporalCli,
      nodes: 1,
      tls: { cert: certs.server.cert, key: certs.server.key, ca: certs.ca, client: certs.client },
      log: (l) => console.error(l),
    });
    cluster.createNamespace('default');
    plainEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: cluster.address,
      TEMPORAL_NAMESPACE: 'default',
      HA_WORKFLOW_BUNDLE: await ensureWorkflowBundle(),
      HA_STATE_DIR: W('state'),
      TEMPORAL_CONFIG_FILE: NO_PROFILE,
    };
    env = {
      address: cluster.address,
      namespace: 'default',
      temporalCli,
      env: { ...plainEnv, ...clientTlsEnv(certs) },
    };
    mkdirSync(W('data', 'sub'), { recursive: true });
    writeFileSync(W('data', 'orders.txt'), 'order-1\norder-2\n');
    writeFileSync(W('data', 'sub', 'blob.bin'), Buffer.alloc(512 * 1024, 7));
    writeConfig(
      tmp.dir,
      'ha.yml',
      `version: 1
hosts: [{ name: alpha }]
backups:
  - { name: files, host: alpha, paths: [data], destination: dest/files, schedule: daily }
`,
    );
  }, 300_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await cluster?.stop();
    tmp.cleanup();
  });

  it('refuses an SDK connection without a client certificate, and takes one with it', async () => {
    const ca = readFileSync(certs.ca);
    await expect(Connection.connect({ address: cluster.address, connectTimeout: 3_000 })).rejects.toThrow();
    await expect(
      Connection.connect({
        address: cluster.address,
        tls: { serverRootCACertificate: ca },
        connectTimeout: 3_000,
      }),
    ).rejects.toThrow();
    const ok = await Connection.connect({
      address: cluster.address,
      tls: {
        serverRootCACertificate: ca,
        clientCertPair: { crt: readFileSync(certs.client.cert), key: readFileSync(certs.client.key) },
      },
      connectTimeout: 5_000,
    });
    try {
      const info = await ok.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBe('1.29.1');
    } finally {
      await ok.close();
    }
  });

  it('hactl without a client certificate is refused, and says it is about TLS and the certificate', async () => {
    // Each refused connection waits out the client's connect timeout: all at once.
    const [plain, noCert, noKey] = await Promise.all([
      run(['status'], {}),
      run(['apply', W('ha.yml')], { TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca }),
      run(['status'], {
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.client.cert,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
      }),
    ]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain(
      'TLS: the server speaks TLS and requires a client certificate, but this connection is plaintext',
    );
    expect(plain.stderr).toContain('TEMPORAL_TLS_CLIENT_CERT_PATH');

    expect(noCert.code).toBe(1);
    expect(noCert.stderr).toContain('TLS: the server requires a client certificate and none was given');

    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('a client certificate without its key: set TEMPORAL_TLS_CLIENT_KEY_PATH');
  });

  it('hactl with TEMPORAL_TLS_* applies a config and reads the status', async () => {
    const a = await withTls(['apply', W('ha.yml')]);
    expect([a.code, a.stderr]).toEqual([0, '']);
    expect(a.stdout).toMatch(/Applied: \d+ created, 0 updated, 0 deleted, 0 unchanged\./);
    const s = await withTls(['status', '--config', W('ha.yml')]);
    expect([s.code, s.stderr]).toEqual([0, '']);
    expect(s.stdout).toContain('files');
  });

  it('hactl with a TOML profile (--profile) that holds the address and the certificates', async () => {
    const toml = writeConfig(
      tmp.dir,
      'temporal.toml',
      `[profile.secure]
address = "${cluster.address}"
namespace = "default"

[profile.secure.tls]
client_cert_path = "${certs.client.cert}"
client_key_path = "${certs.client.key}"
server_ca_cert_path = "${certs.ca}"
`,
    );
    const { TEMPORAL_ADDRESS: _a, TEMPORAL_NAMESPACE: _n, ...bare } = plainEnv;
    const profileEnv = { ...bare, TEMPORAL_CONFIG_FILE: toml };
    const s = await hactl(['--profile', 'secure', 'status'], { env: profileEnv, timeoutMs: 120_000 });
    expect([s.code, s.stderr]).toEqual([0, '']);
    const a = await hactl(['--profile', 'secure', 'apply', W('ha.yml')], {
      env: profileEnv,
      timeoutMs: 120_000,
    });
    expect([a.code, a.stderr]).toEqual([0, '']);
    expect(a.stdout).toContain('No changes');
    // The same file without --profile: its default profile is absent, so plaintext, refused.
    const without = await hactl(['status'], { env: { ...profileEnv, TEMPORAL_ADDRESS: cluster.address } });
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('requires a client certificate');
  });

  it('a host worker with the TLS settings runs a backup and a restore, end to end', async () => {
    workers.push(await startWorker(env, 'alpha'));
    // Its first heartbeat makes it live for hactl (which warns about a host without a worker).
    await waitFor(async () => (await withTls(['hosts'])).stdout.includes('alpha'), { timeoutMs: 30_000 });
    const b = await withTls(['backup', 'run', 'files', '--wait', '--json', '--config', W('ha.yml')]);
    // stderr: progress only (no error, no warning).
    expect([b.code, b.stderr]).toEqual([0, expect.not.stringMatching(/error|warning/i)]);
    const r = await withTls(['restore', 'files', '--to', W('restored'), '--wait', '--config', W('ha.yml')]);
    // stderr: progress only (no error, no warning).
    expect([r.code, r.stderr]).toEqual([0, expect.not.stringMatching(/error|warning/i)]);
    expect(snapshotTree(path.join(W('restored'), W('data').slice(1)))).toEqual(snapshotTree(W('data')));
  });

  it('refuses a client certificate from another CA, an expired one, and a client that trusts the wrong CA', async () => {
    const [untrusted, expired, wrongCa, worker, plainWorker] = await Promise.all([
      run(['status'], clientTlsEnv(certs, certs.untrusted)),
      run(['apply', W('ha.yml')], clientTlsEnv(certs, certs.expired)),
      run(['status'], clientTlsEnv(certs, certs.client, certs.otherCa)),
      // A worker (the SDK's Rust core connection) gets the same explanations.
      failingWorker(clientTlsEnv(certs, certs.untrusted)),
      failingWorker({}),
    ]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain(
      'TLS: the server rejected the client certificate (CN=untrusted-client): it is not signed by a CA the server trusts',
    );

    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain(
      'TLS: the server rejected the client certificate (CN=expired-client): it has expired',
    );

    expect(wrongCa.code).toBe(1);
    expect(wrongCa.stderr).toContain("TLS: the server's certificate is not trusted");
    expect(wrongCa.stderr).toContain('TEMPORAL_TLS_SERVER_CA_CERT_PATH');

    expect(worker.code).toBe(1);
    expect(worker.out).toContain('it is not signed by a CA the server trusts');
    expect(plainWorker.code).toBe(1);
    expect(plainWorker.out).toContain('the server speaks TLS and requires a client certificate');
  });
});
