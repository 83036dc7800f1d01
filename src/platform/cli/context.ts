// What every command file shares: the global connection flags, a client that is always
// closed, JSON output, and the --config option.
import type { Client } from '@temporalio/client';
import { Option } from 'commander';
import type { Command } from 'commander';
import { BadInput } from '../../core/errors';
import type { ConnectionFlags } from '../temporal/connection';
import { connectClient } from '../temporal/connection';
import { DEFAULT_CONFIG_PATH } from '../config/load';

export function globals(cmd: Command): ConnectionFlags {
  const o = cmd.optsWithGlobals<{
    address?: string;
    namespace?: string;
    profile?: string;
    config?: string;
  }>();
  return {
    ...(o.address ? { address: o.address } : {}),
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.profile ? { profile: o.profile } : {}),
    // Commands with --config take the payload keys from it (when it names any).
    ...(o.config ? { config: o.config } : {}),
  };
}

/** Connects as the global flags say, runs `fn`, and always closes the connection. */
export async function withClient<T>(cmd: Command, fn: (client: Client) => Promise<T>): Promise<T> {
  const conn = await connectClient(globals(cmd));
  try {
    return await fn(conn.client);
  } finally {
    await conn.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLines(lines: readonly string[]): void {
  for (const l of lines) console.log(l);
}

export const configOption = (): Option =>
  new Option('--config <file>', 'config file').default(DEFAULT_CONFIG_PATH);

/** A commander argument parser that turns a parse error into bad input (exit 2). */
export function parsed<T>(parse: (text: string) => { error: string } | T, flag: string): (v: string) => T {
  return (v) => {
    const r = parse(v);
    if (r && typeof r === 'object' && 'error' in r) throw new BadInput(`${flag} ${v}: ${r.error}`);
    return r;
  };
}
