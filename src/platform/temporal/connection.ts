// Connection settings follow the temporal CLI's conventions: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and the TOML config file, all read through
// @temporalio/envconfig. Command-line flags win over all of them.
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { OperationFailed } from '../../core/errors';
import { whoAmI } from '../cli/who';
import { dataConverterFor } from './codec-config';

export const DEFAULT_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';

export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  profile?: string;
  /** The config file whose `encryption:` section names the payload keys (see codec-config). */
  config?: string;
}

export interface ConnectionSettings {
  address: string;
  namespace: string;
  options: NativeConnectionOptions;
}

export function connectionSettings(flags: ConnectionFlags = {}): ConnectionSettings {
  const cfg = loadClientConnectConfig(flags.profile ? { profile: flags.profile } : {});
  const address = flags.address ?? cfg.connectionOptions.address ?? DEFAULT_ADDRESS;
  const namespace = flags.namespace ?? cfg.namespace ?? DEFAULT_NAMESPACE;
  const options: NativeConnectionOptions = { ...stripUndefined(cfg.connectionOptions), address };
  return { address, namespace, options };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** No server at the address, or no such namespace (exit 1). */
export class TemporalUnreachable extends OperationFailed {}

export function unreachable(s: ConnectionSettings, err: unknown): TemporalUnreachable {
  const why = err instanceof Error ? err.message : String(err);
  return new TemporalUnreachable(
    `cannot reach the Temporal server at ${s.address} (namespace "${s.namespace}"): ${why}\n` +
      `Start one with \`npm start\` (or \`hactl dev\`), or point TEMPORAL_ADDRESS / --address at yours.`,
  );
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
    throw unreachable(settings, err);
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
    throw unreachable(settings, err);
  }
  return { client, connection, settings, close: () => connection.close() };
}
