// Why a connection to a Temporal server failed, when the reason is TLS. The SDK's clients say
// only "Failed to connect before the deadline" (gRPC retries and hides the handshake's error),
// so after a failure we make one TLS handshake ourselves, with the same certificates, and read
// what went wrong: a server that wants a certificate we did not give, one that rejects ours
// (unknown CA, expired), a server certificate we do not trust, or TLS on one side only.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import type { NativeConnectionOptions } from '@temporalio/worker';

type TLSConfig = Exclude<NativeConnectionOptions['tls'], boolean | null | undefined>;

const HOW_TO_TLS =
  "give a client certificate and the CA that signed the server's with TEMPORAL_TLS_CLIENT_CERT_PATH, " +
  'TEMPORAL_TLS_CLIENT_KEY_PATH and TEMPORAL_TLS_SERVER_CA_CERT_PATH (or client_cert_path, ' +
  'client_key_path and server_ca_cert_path in the [profile.NAME.tls] table of a --profile)';

type Probe = { ok: true } | { ok: false; err: NodeJS.ErrnoException };

function handshake(
  host: string,
  port: number,
  options: tls.ConnectionOptions,
  timeoutMs: number,
): Promise<Probe> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (p: Probe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(p);
    };
    // No handshake in time (a server that waits for something else): not a TLS answer.
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          err: Object.assign(new Error('no TLS handshake in time'), { code: 'ETIMEDOUT' }),
        }),
      timeoutMs,
    );
    const socket = tls.connect({ host, port, ALPNProtocols: ['h2'], ...options }, () => {
      if (options.rejectUnauthorized !== false && !socket.authorized) {
        finish({ ok: false, err: socket.authorizationError });
        return;
      }
      // TLS 1.3: the server judges our certificate after the handshake; its alert arrives
      // with the first read. The HTTP/2 preface makes it answer.
      socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      setTimeout(() => finish({ ok: true }), 500);
    });
    socket.on('error', (err) => finish({ ok: false, err }));
  });
}

function certificateDates(pem: Uint8Array | undefined): X509Certificate | undefined {
  if (!pem) return undefined;
  try {
    return new X509Certificate(Buffer.from(pem));
  } catch {
    return undefined;
  }
}

/** OpenSSL's "80DC…:error:0A000415:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:…" -> the reason. */
function reason(message: string): string {
  return /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message.trim();
}

const SERVER_NOT_TRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

/**
 * A sentence saying what TLS problem keeps us from the server at `address`, or undefined when
 * the handshake works (or the server is not there at all: then it is not about TLS).
 */
export async function diagnoseTls(
  address: string,
  tlsOption: TLSConfig | boolean | null | undefined,
  timeoutMs = 3_000,
): Promise<string | undefined> {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) return undefined;
  const host = m[1]!;
  const port = Number(m[2]);

  if (!tlsOption) {
    // Plaintext: is it a TLS server?
    const p = await handshake(host, port, { rejectUnauthorized: false }, timeoutMs);
    if (!p.ok && !/alert/i.test(p.err.message)) return undefined;
    const wantsCert = !p.ok && p.err.code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED';
    return (
      `the server speaks TLS${wantsCert ? ' and requires a client certificate' : ''}, ` +
      `but this connection is plaintext: ${HOW_TO_TLS}`
    );
  }

  const cfg: TLSConfig = tlsOption === true ? {} : tlsOption;
  const options: tls.ConnectionOptions = {
    ...(cfg.serverNameOverride
      ? { servername: cfg.serverNameOverride }
      : isIP(host)
        ? {}
        : { servername: host }),
    ...(cfg.serverRootCACertificate ? { ca: Buffer.from(cfg.serverRootCACertificate) } : {}),
    ...(cfg.clientCertPair
      ? { cert: Buffer.from(cfg.clientCertPair.crt), key: Buffer.from(cfg.clientCertPair.key) }
      : {}),
  };
  if (cfg.serverNameOverride) {
    const name = cfg.serverNameOverride;
    options.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(name, cert);
  }
  const p = await handshake(host, port, options, timeoutMs);
  if (p.ok) return undefined;
  const { code } = p.err;
  const message = reason(p.err.message);
  const mine = certificateDates(cfg.clientCertPair?.crt);
  const which = mine
    ? `the client certificate (${mine.subject.replace(/\n/g, ', ')})`
    : 'the client certificate';
  switch (true) {
    case code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
      return `the server requires a client certificate and none was given: ${HOW_TO_TLS}`;
    case code === 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED':
      return (
        `the server rejected ${which}: it has expired` +
        (mine ? ` (valid ${mine.validFrom} to ${mine.validTo})` : '')
      );
    case code === 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
      return `the server rejected ${which}: it is not signed by a CA the server trusts`;
    case /ALERT_(BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|ACCESS_DENIED)/.test(
      code ?? '',
    ):
      return `the server rejected ${which} (${message})`;
    case SERVER_NOT_TRUSTED.has(code ?? ''):
      return (
        `the server's certificate is not trusted (${message}): TEMPORAL_TLS_SERVER_CA_CERT_PATH ` +
        `(server_ca_cert_path in a profile) must name the CA that signed it`
      );
    case code === 'CERT_HAS_EXPIRED':
      return `the server's certificate has expired (${message})`;
    case code === 'ERR_TLS_CERT_ALTNAME_INVALID':
      return (
        `the server's certificate is not for the name we checked (${message}): set ` +
        `TEMPORAL_TLS_SERVER_NAME (server_name in a profile) to a name it holds`
      );
    case /wrong version number|packet length too long|unknown protocol|ECONNRESET|before secure TLS/i.test(
      `${code} ${message}`,
    ):
      return `the server does not speak TLS (${message}): remove the TLS settings (TEMPORAL_TLS_*, the profile's tls table), or connect to its TLS port`;
    case code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || code === 'ETIMEDOUT':
      return undefined;
    default:
      return `the TLS handshake failed: ${message}`;
  }
}
