// `hactl metrics-server`: the state of what we run (backups, failover groups, alerts, services,
// DR plans, hosts, schedules) as Prometheus metrics on GET /metrics. One per deployment is
// enough: it reads the state from Temporal, as `hactl status` does, not from the hosts.
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { BadInput } from '../../../core/errors';
import { parseDuration } from '../../../core/duration';
import { DEFAULT_CONFIG_PATH } from '../../config/load';
import type { HaConfig } from '../../registry-api';
import { collectStatus, loadConfig, statusSections } from '../../registry-api';
import { stateExporter } from '../../metrics/state';
import { parseHostPort, startMetricsServer } from '../../metrics/server';
import { connectClient } from '../../temporal/connection';
import { globals } from '../context';

export const DEFAULT_STATE_METRICS_ADDRESS = '127.0.0.1:9465';

function listenOption(value: string): string {
  parseHostPort(value, '--listen');
  return value;
}

function cacheOption(value: string): number {
  const r = parseDuration(value);
  if ('error' in r) throw new BadInput(`--cache ${value}: ${r.error}`);
  if (r.ms < 1_000 || r.ms > 600_000)
    throw new BadInput(
      `--cache ${value}: give between 1s and 10m (the state is gathered once per this long)`,
    );
  return r.ms;
}

/** The config, read again when its file changes; a broken edit keeps the last good one. */
export function configWatcher(file: string, log: (line: string) => void): () => HaConfig {
  let config = loadConfig(file);
  let mtime = statSync(file).mtimeMs;
  return () => {
    let now: number;
    try {
      now = statSync(file).mtimeMs;
    } catch (err) {
      log(`cannot read ${file} (${(err as Error).message}); keeping the config read before`);
      return config;
    }
    if (now === mtime) return config;
    mtime = now;
    try {
      config = loadConfig(file);
      log(`read ${file} again`);
    } catch (err) {
      log(`${(err as Error).message}\nkeeping the config read before`);
    }
    return config;
  };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => resolve());
  });
}

export function register(program: Command): Command {
  return program
    .command('metrics-server')
    .description(
      'serve the state of what the config describes (backups, failover groups, alerts, services, DR plans, hosts, schedules) as Prometheus metrics on /metrics',
    )
    .option(
      '--listen <host:port>',
      `address to listen on (or HA_STATE_METRICS_ADDRESS)`,
      listenOption,
      process.env.HA_STATE_METRICS_ADDRESS
        ? listenOption(process.env.HA_STATE_METRICS_ADDRESS)
        : DEFAULT_STATE_METRICS_ADDRESS,
    )
    .option('--config <file>', 'config file (read again when it changes)', DEFAULT_CONFIG_PATH)
    .option(
      '--cache <duration>',
      'serve a gathered state this long before gathering it again',
      cacheOption,
      5_000,
    )
    .action(async (opts: { listen: string; config: string; cache: number }, cmd: Command) => {
      const log = (line: string): void => console.error(line);
      const config = configWatcher(opts.config, log);
      const conn = await connectClient(globals(cmd));
      try {
        const exporter = stateExporter({
          client: conn.client,
          sections: statusSections(),
          cacheMs: opts.cache,
          gather: (client, now) => collectStatus(client, config(), now),
          onError: log,
        });
        const server = await startMetricsServer({ listen: opts.listen, exporter, log });
        console.log(`state metrics on ${server.url} (gathered at most every ${opts.cache / 1000}s)`);
        await untilSignal();
        await server.close();
        console.log('metrics server stopped');
      } finally {
        await conn.close();
      }
    });
}
