// hactl — the command-line interface. Exit codes: 0 ok, 1 failure, 2 bad input.
// This entry holds the global options and the registration of command groups only. Each group
// is its own file, loaded when its command runs, so `hactl --version` and `--help` load neither
// the Temporal client nor the worker.
import { Command, Option } from 'commander';
import { EXIT } from '../../core/errors';
import { CAPABILITIES } from '../../registry';
import type { CommandStub } from '../capability';
import { VERSION } from '../version';
import { reportError } from './errors';

export { EXIT };

/** The platform's own command groups, then every capability's, in registry order. */
export const PLATFORM_COMMANDS: readonly CommandStub[] = [
  { name: 'config', summary: 'work with the configuration file', load: () => import('./commands/config') },
  {
    name: 'apply',
    summary: 'create, update and delete the schedules and controllers that the config describes',
    load: () => import('./commands/apply'),
  },
  {
    name: 'worker',
    summary:
      'run the worker for one host: its host queue ha-host-<host> (with --workflows also the shared queue)',
    load: () => import('./commands/worker'),
  },
  {
    name: 'dev',
    summary:
      'run everything on this machine: Temporal dev server + Web UI, a worker, and apply of the config',
    load: () => import('./commands/dev'),
  },
  {
    name: 'hosts',
    summary: 'list the hosts whose worker is live right now',
    load: () => import('./commands/hosts'),
  },
  {
    name: 'status',
    summary: 'the state of everything the config describes, and its schedules, from the server',
    load: () => import('./commands/status'),
  },
  {
    name: 'audit',
    summary: 'who did what and when (approvals, aborts, switchovers, silences, restores), from Temporal',
    load: () => import('./commands/audit'),
  },
  {
    name: 'metrics-server',
    summary: 'serve the state of what we run (backups, failover, alerts, services, DR) as Prometheus metrics',
    load: () => import('./commands/metrics-server'),
  },
  {
    name: 'codec-server',
    summary: 'serve /encode and /decode so that the Web UI and the temporal CLI show encrypted payloads',
    load: () => import('./commands/codec-server'),
  },
];

export function commandStubs(): CommandStub[] {
  return [...PLATFORM_COMMANDS, ...CAPABILITIES.flatMap((c) => c.commands)];
}

/** Global options that take a value: skipped when looking for the command name. */
const VALUE_OPTIONS = new Set(['--address', '--namespace', '--profile']);

/** The command group argv asks for (`hactl [globals] <group> ...`, `hactl help <group>`). */
export function requestedGroup(argv: readonly string[]): string | undefined {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    words.push(a);
    if (words[0] !== 'help' || words.length === 2) break;
  }
  return words[0] === 'help' ? words[1] : words[0];
}

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('hactl')
    .description('ha-orchestrator: high availability for a fleet of hosts, as Temporal workflows')
    .version(VERSION)
    .addOption(
      new Option(
        '--address <host:port>',
        'Temporal server (default: TEMPORAL_ADDRESS, profile, or 127.0.0.1:7233)',
      ),
    )
    .addOption(
      new Option(
        '--namespace <ns>',
        'Temporal namespace (default: TEMPORAL_NAMESPACE, profile, or "default")',
      ),
    )
    .addOption(
      new Option('--profile <name>', 'profile in the Temporal CLI config file (default: TEMPORAL_PROFILE)'),
    )
    .showHelpAfterError()
    .exitOverride();
  const wanted = requestedGroup(argv);
  for (const stub of commandStubs()) {
    if (stub.name === wanted) (await stub.load()).register(program);
    // A placeholder, so that `hactl --help` lists it without loading it.
    else program.command(stub.name).description(stub.summary);
  }
  // Commands made by `program.command()` inherit exitOverride and showHelpAfterError.
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    // Inside the try: defaults read from the environment (HA_TEMPORAL_PORT) can be bad input too.
    await (await buildProgram(argv.slice(2))).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}
