// `hactl worker`: the one command that loads the Temporal worker and every activity.
import { isIP } from 'node:net';
import { Option } from 'commander';
import type { Command } from 'commander';
import { BadInput } from '../../../core/errors';
import { DURATION_LIMITS, durationTooLong, parseDuration } from '../../../core/duration';
import { defaultHostName } from '../../worker/identity';
import { DEFAULT_CONFIG_PATH } from '../../config/load';
import { configOption, globals } from '../context';
import { parseHostPort } from '../../metrics/server';

function graceOption(value: string): number {
  const r = parseDuration(value);
  if ('error' in r) throw new BadInput(r.error);
  const long = durationTooLong(r.ms, DURATION_LIMITS.shutdownGrace);
  if (long) throw new BadInput(`--shutdown-grace ${value}: ${long}`);
  return r.ms;
}

/** HOST:PORT for the SDK's exporter; a port of 0 is refused (the SDK would not say which it took). */
function metricsAddressOption(value: string): string {
  const { host, port } = parseHostPort(value, '--metrics-address');
  if (!isIP(host))
    throw new BadInput(
      `--metrics-address ${value}: give an IP address (127.0.0.1, 0.0.0.0, [::1]), not a name`,
    );
  if (port === 0) throw new BadInput(`--metrics-address ${value}: give a port (1-65535)`);
  return value.trim();
}

type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export function register(program: Command): Command {
  return program
    .command('worker')
    .description(
      'run the worker for one host: its host queue ha-host-<host>; with --workflows also the shared queue (workflows, and activities that may run anywhere)',
    )
    .option('--host <name>', 'host name this worker serves', process.env.HA_HOST ?? defaultHostName())
    .option(
      '--workflows',
      'also serve the shared queue: workflows and the activities that may run anywhere (every deployment needs at least one such worker; hactl dev runs one)',
      process.env.HA_WORKER_WORKFLOWS === '1',
    )
    .option(
      '--shutdown-grace <duration>',
      'time in-flight activities get to finish on SIGTERM/SIGINT',
      graceOption,
      30_000,
    )
    .addOption(
      configOption().default(DEFAULT_CONFIG_PATH, `${DEFAULT_CONFIG_PATH}, if there: its encryption section`),
    )
    .option(
      '--metrics-address <host:port>',
      'serve the Temporal SDK runtime metrics (task slots, polls, latencies) in the Prometheus format on http://HOST:PORT/metrics (or HA_METRICS_ADDRESS; default: off)',
      metricsAddressOption,
      process.env.HA_METRICS_ADDRESS ? metricsAddressOption(process.env.HA_METRICS_ADDRESS) : undefined,
    )
    .addOption(
      new Option('--log-level <level>', 'SDK log level')
        .choices(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'])
        .default('WARN'),
    )
    .action(
      async (
        opts: {
          host: string;
          workflows: boolean;
          shutdownGrace: number;
          logLevel: LogLevel;
          metricsAddress?: string;
        },
        cmd: Command,
      ) => {
        const { runWorker } = await import('../../worker/run');
        await runWorker({
          ...globals(cmd),
          host: opts.host,
          workflows: opts.workflows,
          shutdownGraceMs: opts.shutdownGrace,
          logLevel: opts.logLevel,
          ...(opts.metricsAddress ? { metricsAddress: opts.metricsAddress } : {}),
          onReady: (info) =>
            console.log(
              `worker ready: host=${info.host} queues=${info.queues.join(',')} workflows=${info.workflows ? 'yes' : 'no'} identity="${info.identity}"${opts.metricsAddress ? ` metrics=http://${opts.metricsAddress}/metrics` : ''}`,
            ),
        });
        console.log(`worker for ${opts.host} stopped`);
      },
    );
}
