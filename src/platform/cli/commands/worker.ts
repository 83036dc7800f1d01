// `hactl worker`: the one command that loads the Temporal worker and every activity.
import { Option } from 'commander';
import type { Command } from 'commander';
import { BadInput } from '../../../core/errors';
import { DURATION_LIMITS, durationTooLong, parseDuration } from '../../../core/duration';
import { defaultHostName } from '../../worker/identity';
import { DEFAULT_CONFIG_PATH } from '../../config/load';
import { configOption, globals } from '../context';

function graceOption(value: string): number {
  const r = parseDuration(value);
  if ('error' in r) throw new BadInput(r.error);
  const long = durationTooLong(r.ms, DURATION_LIMITS.shutdownGrace);
  if (long) throw new BadInput(`--shutdown-grace ${value}: ${long}`);
  return r.ms;
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
    .addOption(
      new Option('--log-level <level>', 'SDK log level')
        .choices(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'])
        .default('WARN'),
    )
    .action(
      async (
        opts: { host: string; workflows: boolean; shutdownGrace: number; logLevel: LogLevel },
        cmd: Command,
      ) => {
        const { runWorker } = await import('../../worker/run');
        await runWorker({
          ...globals(cmd),
          host: opts.host,
          workflows: opts.workflows,
          shutdownGraceMs: opts.shutdownGrace,
          logLevel: opts.logLevel,
          onReady: (info) =>
            console.log(
              `worker ready: host=${info.host} queues=${info.queues.join(',')} workflows=${info.workflows ? 'yes' : 'no'} identity="${info.identity}"`,
            ),
        });
        console.log(`worker for ${opts.host} stopped`);
      },
    );
}
