// Certificates for the mTLS tests, made with openssl from Debian (installed with apt-get when
// missing and we are root): a CA; a server certificate for the loopback addresses and localhost
// (serverAuth and clientAuth: the Temporal server's own system worker presents it to the
// frontend); a client certificate; and the bad ones — a client certificate from another CA, an
// expired one from the right CA, and that other CA itself (a client that trusts the wrong CA).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface TestCertificates {
  dir: string;
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
  /** A client certificate signed by `otherCa`, which the server does not trust. */
  untrusted: { cert: string; key: string };
  /** Signed by the right CA, valid only in 2020. */
  expired: { cert: string; key: string };
  otherCa: string;
}

/** openssl from PATH; installs it with apt-get when missing. Throws a clear error when it cannot. */
export function ensureOpenssl(log: (line: string) => void = () => undefined): string {
  const works = (): boolean => spawnSync('openssl', ['version']).status === 0;
  if (works()) return 'openssl';
  if (process.getuid?.() !== 0)
    throw new Error('openssl is not installed and installing it needs root (apt-get install openssl)');
  log('installing openssl (apt-get install openssl) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env });
  const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'openssl'], {
    encoding: 'utf8',
    env,
  });
  if (!works()) throw new Error(`apt-get install openssl failed: ${(r.stderr || r.stdout).slice(-400)}`);
  return 'openssl';
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}:\n${r.stderr}${r.stdout}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return { cert, key };
}

function makeLeaf(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  ext: string,
): { cert: string; key: string; csr: string; ext: string } {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const cert = path.join(dir, `${name}.pem`);
  const extFile = path.join(dir, `${name}.ext`);
  writeFileSync(extFile, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n${ext}\n`);
  openssl(['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      extFile,
      '-out',
      cert,
    ],
    dir,
  );
  return { cert, key, csr, ext: extFile };
}

/** An end-entity certificate valid only on the first days of 2020 (`openssl ca` sets the dates). */
function makeExpired(dir: string, ca: { cert: string; key: string }): { cert: string; key: string } {
  const leaf = makeLeaf(dir, 'expired-client', ca, 'extendedKeyUsage=clientAuth');
  const caDir = path.join(dir, 'ca-db');
  mkdirSync(path.join(caDir, 'new'), { recursive: true });
  writeFileSync(path.join(caDir, 'index.txt'), '');
  writeFileSync(path.join(caDir, 'serial'), '1000\n');
  const cnf = path.join(caDir, 'ca.cnf');
  writeFileSync(
    cnf,
    [
      '[ca]',
      'default_ca = local',
      '[local]',
      `database = ${path.join(caDir, 'index.txt')}`,
      `new_certs_dir = ${path.join(caDir, 'new')}`,
      `serial = ${path.join(caDir, 'serial')}`,
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'ca',
      '-batch',
      '-notext',
      '-config',
      cnf,
      '-cert',
      ca.cert,
      '-keyfile',
      ca.key,
      '-in',
      leaf.csr,
      '-out',
      leaf.cert,
      '-extfile',
      leaf.ext,
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200102000000Z',
    ],
    dir,
  );
  return { cert: leaf.cert, key: leaf.key };
}

export function makeCertificates(dir: string, ips: string[]): TestCertificates {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, 'ca');
  const other = makeCa(dir, 'other-ca');
  const sans = ['DNS:localhost', ...['127.0.0.1', ...ips].map((ip) => `IP:${ip}`)].join(',');
  const server = makeLeaf(
    dir,
    'server',
    ca,
    `extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${sans}`,
  );
  const client = makeLeaf(dir, 'client', ca, 'extendedKeyUsage=clientAuth');
  const untrusted = makeLeaf(dir, 'untrusted-client', other, 'extendedKeyUsage=clientAuth');
  return {
    dir,
    ca: ca.cert,
    server: { cert: server.cert, key: server.key },
    client: { cert: client.cert, key: client.key },
    untrusted: { cert: untrusted.cert, key: untrusted.key },
    expired: makeExpired(dir, ca),
    otherCa: other.cert,
  };
}

/** The TEMPORAL_TLS_* variables (envconfig's, as the temporal CLI reads them) of a client. */
export function clientTlsEnv(
  certs: TestCertificates,
  pair: { cert: string; key: string } = certs.client,
  ca = certs.ca,
): Record<string, string> {
  return {
    TEMPORAL_TLS_CLIENT_CERT_PATH: pair.cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: pair.key,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
  };
}
