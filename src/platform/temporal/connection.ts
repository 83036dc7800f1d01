// Connection settings follow the temporal CLI's conventions: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and the TOML config file, all read through
// @temporalio/envconfig. Command-line flags win over all of them. The same settings make the
// client's Connection and the worker's NativeConnection: TLS with a client certificate (mTLS)
// from TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH,
// TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_SERVER_NAME (or the _DATA forms), or from
// the tls table of a profile.
import { Client, Connection } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { ClientConfigProfile } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { BadInput, OperationFailed } from '../../core/errors';
import { whoAmI } from '../cli/who';
import { dataConverterFor } from './codec-config';
import { diagnoseTls } from './tls-diagnosis';

export const DEFAULT_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';

export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  profile?: string;
  /** The config file whose `encryption:` section names the payload keys (see codec-config). */
  config?: string;
  /**
   * A server of our own that takes plaintext only (`hactl dev`): no TLS and no API key, whatever
   * the environment or a profile says (they are for the user's real cluster).
   */
  plaintext?: boolean;
}

export interface ConnectionSettings {
  address: string;
  namespace: string;
  options: NativeConnectionOptions;
}

export function connectionSettings(flags: ConnectionFlags = {}): ConnectionSettings {
  const profile = loadClientConfigProfile(flags.profile ? { profile: flags.profile } : {});
  if (flags.plaintext) {
    delete profile.tls;
    delete profile.apiKey;
  }
  checkTlsProfile(profile);
  let cfg: ReturnType<typeof toClientOptions>;
  try {
    cfg = toClientOptions(profile);
  } catch (err) {
    // A certificate or key file that cannot be read.
    throw new BadInput(`TLS settings: ${err instanceof Error ? err.message : String(err)}`);
  }
  const address = flags.address ?? cfg.connectionOptions.address ?? DEFAULT_ADDRESS;
  const namespace = flags.namespace ?? cfg.namespace ?? DEFAULT_NAMESPACE;
  const { tls, ...rest } = stripUndefined(cfg.connectionOptions);
  const options: NativeConnectionOptions = {
    ...rest,
    ...(tls !== undefined ? { tls: tls && typeof tls === 'object' ? stripUndefined(tls) : tls } : {}),
    address,
  };
  return { address, namespace, options };
}

/**
 * A certificate without its key (or the other way round) would otherwise connect without a
 * client certificate, and the server's refusal would not say why.
 */
function checkTlsProfile(profile: ClientConfigProfile): void {
  const t = profile.tls;
  if (!t || t.disabled) return;
  if (!!t.clientCert !== !!t.clientKey)
    throw new BadInput(
      t.clientCert
        ? 'TLS settings: a client certificate without its key: set TEMPORAL_TLS_CLIENT_KEY_PATH (client_key_path in a profile)'
        : 'TLS settings: a client key without its certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH (client_cert_path in a profile)',
    );
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** No server at the address, or no such namespace (exit 1). */
export class TemporalUnreachable extends OperationFailed {}

/** The error of a failed connection; `tlsProblem` is what diagnoseTls found, if anything. */
export function unreachable(s: ConnectionSettings, err: unknown, tlsProblem?: string): TemporalUnreachable {
  const why = err instanceof Error ? err.message : String(err);
  if (tlsProblem)
    return new TemporalUnreachable(
      `cannot connect to the Temporal server at ${s.address} (namespace "${s.namespace}"): ` +
        `TLS: ${tlsProblem}\n(the client's error: ${why})`,
    );
  const tlsOn = !!s.options.tls;
  return new TemporalUnreachable(
    `cannot reach the Temporal server at ${s.address} (namespace "${s.namespace}"${tlsOn ? ', TLS' : ''}): ${why}\n` +
      `Start one with \`npm start\` (or \`hactl dev\`), or point TEMPORAL_ADDRESS / --address at yours.`,
  );
}

/** unreachable(), after a TLS handshake of our own has looked for the reason. */
export async function connectFailure(s: ConnectionSettings, err: unknown): Promise<TemporalUnreachable> {
  let problem: string | undefined;
  try {
    problem = await diagnoseTls(s.address, s.options.tls);
  } catch {
    problem = undefined;
  }
  return unreachable(s, err, problem);
}

// grpc-js gives Node's TLS the address's host as the server name even when it is an IP, and Node
// then warns (DEP0123) on stderr of every process that connects to an address like
// 10.0.0.5:7233 over TLS; the certificate is still checked against the IP. That one warning goes.
let ipServerNameWarningMuted = false;
function muteIpServerNameWarning(): void {
  if (ipServerNameWarningMuted) return;
  ipServerNameWarningMuted = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = (...args: unknown[]) => {
    const code = typeof args[1] === 'object' ? (args[1] as { code?: string } | null)?.code : args[2];
    if (code === 'DEP0123') return;
    emit(...args);
  };
}

export interface ConnectedClient {
  client: Client;
  connection: Connection;
  settings: ConnectionSettings;
  close(): Promise<void>;
}

/** A workflow client; fails fast with a message that says how to start a server. */
export async function connectClient(
  flags: ConnectionFlags = {},
  timeoutMs = 5_000,
): Promise<ConnectedClient> {
  const settings = connectionSettings(flags);
  if (settings.options.tls) muteIpServerNameWarning();
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: settings.address,
      ...(settings.options.tls !== undefined ? { tls: settings.options.tls } : {}),
      ...(settings.options.apiKey !== undefined ? { apiKey: settings.options.apiKey } : {}),
      ...(settings.options.metadata !== undefined ? { metadata: settings.options.metadata } : {}),
      connectTimeout: timeoutMs,
    });
  } catch (err) {
    throw await connectFailure(settings, err);
  }
  // The identity is in every event this client causes: `hactl audit` shows it beside the `--as`.
  const client = new Client({
    connection,
    namespace: settings.namespace,
    identity: `${whoAmI()} (hactl)`,
    ...dataConverterFor(flags.config),
  });
  try {
    await connection.withDeadline(Date.now() + timeoutMs, () =>
      connection.workflowService.describeNamespace({ namespace: settings.namespace }),
    );
  } catch (err) {
    await connection.close();
    const msg = err instanceof Error ? err.message : String(err);
    if (/not found/i.test(msg))
      throw new TemporalUnreachable(
        `namespace "${settings.namespace}" does not exist on ${settings.address}`,
      );
    throw await connectFailure(settings, err);
  }
  return { client, connection, settings, close: () => connection.close() };
}
