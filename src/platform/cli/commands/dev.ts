// `hactl dev` (what `npm start` runs): dev server + Web UI, a worker, and apply of the config.
import * as path from 'node:path';
import type { Command } from 'commander';
import { BadInput } from '../../../core/errors';
import { DEFAULT_CONFIG_PATH } from '../../config/load';
import { runDev } from '../../dev';

function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new BadInput(`"${value}" is not a port number (1-65535)`);
  return n;
}

function envPort(name: string, fallback: number): number {
  const v = process.env[name];
  return v ? portOption(v) : fallback;
}

export function register(program: Command): Command {
  return program
    .command('dev')
    .description(
      'run everything on this machine: Temporal dev server + Web UI, a worker, and apply of the config',
    )
    .option('--config <file>', 'config file', DEFAULT_CONFIG_PATH)
    .option(
      '--port <n>',
      'Temporal gRPC port (or HA_TEMPORAL_PORT)',
      portOption,
      envPort('HA_TEMPORAL_PORT', 7233),
    )
    .option('--ui-port <n>', 'Web UI port (or HA_UI_PORT)', portOption, envPort('HA_UI_PORT', 8233))
    .option(
      '--codec-port <n>',
      'codec server port, when the config encrypts payloads (or HA_CODEC_PORT)',
      portOption,
      envPort('HA_CODEC_PORT', 8081),
    )
    .option('--db <file>', 'SQLite file for the server state', path.join('.data', 'temporal.db'))
    .option(
      '--host <name>',
      'host this machine serves (default: HA_HOST, the hostname, or the only configured host)',
    )
    .action(
      async (opts: {
        config: string;
        port: number;
        uiPort: number;
        codecPort: number;
        db: string;
        host?: string;
      }) => {
        process.exitCode = await runDev({
          configFile: opts.config,
          port: opts.port,
          uiPort: opts.uiPort,
          codecPort: opts.codecPort,
          dbFile: path.resolve(opts.db),
          dataDir: path.resolve(path.dirname(opts.db)),
          hactlScript: path.resolve(__dirname, '..', '..', '..', '..', '..', 'bin', 'hactl.js'),
          ...(opts.host ? { host: opts.host } : {}),
        });
      },
    );
}
