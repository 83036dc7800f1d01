// hactl — the command-line interface. Exit codes: 0 ok, 1 failure, 2 bad input.
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, formatIssue } from '../config/issues';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load';
import type { HaConfig } from '../config/load';
import type { Client } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { DURATION_LIMITS, durationTooLong, formatDuration, parseDuration } from '../common/duration';
import {
  backupStatus,
  BackupInProgress,
  drillBackup,
  findSet,
  InvalidRestoreTarget,
  InvalidTime,
  listBackups,
  NoSuchBackup,
  parseTime,
  pruneBackups,
  RestoreInProgress,
  RestoreRefused,
  restoreProtection,
  startBackup,
  startRestore,
  UnknownBackupSet,
  verifyBackups,
} from '../backups';
import { parseSize, restoreTargetError } from '../common/backup';
import type { BackupResult, RestoreResult } from '../common/backup';
import { runDev, UsageError } from '../dev';
import { listLiveHosts } from '../hosts';
import { applyConfig, describeStep } from '../reconcile/apply';
import { collectStatus } from '../status';
import { TemporalCliMissing } from '../temporal/cli-binary';
import type { ConnectionFlags } from '../temporal/connection';
import { connectClient, TemporalUnreachable } from '../temporal/connection';
import { PortBusy } from '../temporal/dev-server';
import { VERSION } from '../version';
import { defaultHostName, runWorker } from '../worker/run';
import { printTable } from './table';

export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

class BadInput extends Error {
  override name = 'BadInput';
}

/** A started operation that did not succeed; the message says why. */
class OperationFailed extends Error {
  override name = 'OperationFailed';
}

function graceOption(value: string): number {
  const r = parseDuration(value);
  if ('error' in r) throw new BadInput(r.error);
  const long = durationTooLong(r.ms, DURATION_LIMITS.shutdownGrace);
  if (long) throw new BadInput(`--shutdown-grace ${value}: ${long}`);
  return r.ms;
}

function sizeOption(value: string): number {
  const r = parseSize(value);
  if ('error' in r) throw new BadInput(r.error);
  return r.bytes;
}

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

function globals(cmd: Command): ConnectionFlags {
  const o = cmd.optsWithGlobals<{ address?: string; namespace?: string; profile?: string }>();
  return {
    ...(o.address ? { address: o.address } : {}),
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.profile ? { profile: o.profile } : {}),
  };
}

function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function pct(n: number | undefined): string {
  return n === undefined ? '-' : `${n.toFixed(0)}%`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function failureMessage(err: unknown, host?: string): string {
  // WorkflowFailedError -> ActivityFailure -> ApplicationFailure: the innermost says what happened.
  let e = err as { cause?: unknown; message?: string; timeoutType?: string };
  while (e?.cause) e = e.cause;
  if (e?.timeoutType === 'SCHEDULE_TO_START' && host) {
    return `no worker for host ${host} picked up the work in time; is \`hactl worker --host ${host}\` running? (see hactl hosts)`;
  }
  return e?.message ?? String(err);
}

/** Connects as the global flags say, runs `fn`, and always closes the connection. */
async function withClient<T>(cmd: Command, fn: (client: Client) => Promise<T>): Promise<T> {
  const conn = await connectClient(globals(cmd));
  try {
    return await fn(conn.client);
  } finally {
    await conn.close();
  }
}

/** Runs host-bound work; a failed workflow becomes one line that says what went wrong. */
async function onHost<T>(client: Client, host: string, what: string, fn: () => Promise<T>): Promise<T> {
  await warnIfHostDown(client, host);
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowFailedError)
      throw new OperationFailed(`${what} failed: ${failureMessage(err, host)}`);
    throw err;
  }
}

/** Host-bound work waits for that host's worker: say so up front when none is live. */
async function warnIfHostDown(client: Client, host: string): Promise<void> {
  try {
    const { hosts } = await listLiveHosts(client);
    if (!hosts.some((h) => h.host === host)) {
      console.error(
        `warning: no live worker for host ${host} right now (hactl hosts); this waits for one to start`,
      );
    }
  } catch {
    /* liveness is advisory */
  }
}

function printBackupResult(r: BackupResult): void {
  console.log(
    `backup ${r.id} of ${r.set} on ${r.host}: ${r.files} files, ${bytes(r.bytesIn)} in, ${bytes(r.bytesOut)} archive, ${formatDuration(r.durationMs)}`,
  );
  for (const w of r.warnings) console.log(`  warning: ${w}`);
  if (r.retention.removed.length) console.log(`  retention removed: ${r.retention.removed.join(', ')}`);
  for (const h of r.hooks)
    if (!h.ok) console.log(`  hook ${h.argv.join(' ')} failed (exit ${h.exitCode}), continued`);
}

function printRestoreResult(r: RestoreResult): void {
  console.log(
    `restored backup ${r.id} of ${r.set} into ${r.target} on ${r.host}: ${r.files} files, ${r.dirs} dirs, ${r.symlinks} symlinks, ${bytes(r.bytes)} in ${formatDuration(r.durationMs)}`,
  );
  if (r.previous) console.log(`  previous content kept in ${r.previous}`);
}

function bytesPerSec(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n < 1024) return `${n}B/s`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}KiB/s`;
  return `${(n / 1024 / 1024).toFixed(1)}MiB/s`;
}

export function buildProgram(): Command {
  const program = new Command('hactl')
    .description('ha-orchestrator: health monitoring and backups for a fleet of hosts, as Temporal workflows')
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

  const config = program.command('config').description('work with the configuration file');
  config
    .command('validate')
    .description('check a config file and report every mistake as file:line:col  path  message')
    .argument('[file]', 'config file', DEFAULT_CONFIG_PATH)
    .option('--json', 'print the normalised config as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const cfg = loadConfig(file);
      if (opts.json) return json(cfg);
      const health = cfg.health ? `health every ${formatDuration(cfg.health.intervalMs)}` : 'health off';
      const sets = cfg.backups.length
        ? `; ${cfg.backups.length} backup set(s): ${cfg.backups.map((b) => b.spec.set).join(', ')}`
        : '';
      console.log(
        `${file}: ok (${cfg.hosts.length} host(s): ${cfg.hosts.map((h) => h.name).join(', ')}; ${health}${sets})`,
      );
    });

  program
    .command('apply')
    .description('create, update and delete the schedules and controllers that the config describes')
    .argument('[file]', 'config file', DEFAULT_CONFIG_PATH)
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print {"created":[...],"updated":[...],"deleted":[...],"unchanged":[...]}')
    .action(async (file: string, opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const cfg = loadConfig(file);
      await withClient(cmd, async (client) => {
        const r = await applyConfig(client, cfg, { dryRun: !!opts.dryRun });
        if (opts.json) {
          json({
            created: r.created,
            updated: r.updated,
            deleted: r.deleted,
            unchanged: r.unchanged,
            ...(r.conflicts.length ? { conflicts: r.conflicts } : {}),
          });
        } else {
          const changes = r.plan.steps.filter((s) => s.op !== 'unchanged');
          for (const step of r.plan.steps)
            console.log(
              `${opts.dryRun && step.op !== 'unchanged' && step.op !== 'conflict' ? 'would ' : ''}${describeStep(step)}`,
            );
          if (changes.length === 0) console.log(`No changes: ${r.unchanged.length} unchanged.`);
          else if (opts.dryRun)
            console.log(
              `Plan: ${r.created.length} to create, ${r.updated.length} to update, ${r.deleted.length} to delete, ${r.unchanged.length} unchanged. Nothing was changed (dry run).`,
            );
          else
            console.log(
              `Applied: ${r.created.length} created, ${r.updated.length} updated, ${r.deleted.length} deleted, ${r.unchanged.length} unchanged.`,
            );
        }
        if (r.conflicts.length) {
          for (const c of r.conflicts) console.error(`conflict: ${c}`);
          process.exitCode = EXIT.failure;
        }
      });
    });

  program
    .command('worker')
    .description('run the worker for one host: the shared queue and the host queue ha-host-<host>')
    .option('--host <name>', 'host name this worker serves', process.env.HA_HOST ?? defaultHostName())
    .option(
      '--shutdown-grace <duration>',
      'time in-flight activities get to finish on SIGTERM/SIGINT',
      graceOption,
      30_000,
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
          shutdownGrace: number;
          logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
        },
        cmd: Command,
      ) => {
        await runWorker({
          ...globals(cmd),
          host: opts.host,
          shutdownGraceMs: opts.shutdownGrace,
          logLevel: opts.logLevel,
          onReady: (info) =>
            console.log(
              `worker ready: host=${info.host} queues=${info.queues.join(',')} identity="${info.identity}"`,
            ),
        });
        console.log(`worker for ${opts.host} stopped`);
      },
    );

  program
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
    .option('--db <file>', 'SQLite file for the server state', path.join('.data', 'temporal.db'))
    .option(
      '--host <name>',
      'host this machine serves (default: HA_HOST, the hostname, or the only configured host)',
    )
    .action(async (opts: { config: string; port: number; uiPort: number; db: string; host?: string }) => {
      const code = await runDev({
        configFile: opts.config,
        port: opts.port,
        uiPort: opts.uiPort,
        dbFile: path.resolve(opts.db),
        dataDir: path.resolve(path.dirname(opts.db)),
        hactlScript: path.resolve(__dirname, '..', '..', '..', 'bin', 'hactl.js'),
        ...(opts.host ? { host: opts.host } : {}),
      });
      process.exitCode = code;
    });

  program
    .command('hosts')
    .description('list the hosts whose worker is live right now')
    .option('--json', 'print [{"host","version","uptimeSeconds",...}]')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const { hosts, source } = await listLiveHosts(client);
        if (opts.json) return json(hosts);
        if (hosts.length === 0) console.log('No live host workers.');
        else
          printTable(
            ['HOST', 'VERSION', 'UPTIME', 'PID', 'MACHINE', 'LAST SEEN'],
            hosts.map((h) => [
              h.host + (h.workers > 1 ? ` (${h.workers} workers!)` : ''),
              h.version,
              formatDuration(h.uptimeSeconds * 1000),
              String(h.pid ?? '-'),
              h.machine ?? '-',
              h.lastSeenAt,
            ]),
          );
        if (source === 'pollers')
          console.error('(server has no worker heartbeats; liveness from pollers, up to ~1 minute stale)');
      });
    });

  program
    .command('status')
    .description('latest health snapshot per host with its age, and the schedules with their next run')
    .option('--config <file>', 'config file (hosts and schedules to show)', DEFAULT_CONFIG_PATH)
    .option('--json', 'print the full report as JSON')
    .action(async (opts: { config: string; json?: boolean }, cmd: Command) => {
      let cfg: HaConfig | undefined;
      try {
        cfg = loadConfig(opts.config);
      } catch (err) {
        // Status still works without a readable config: it shows what runs on the server.
        if (!(err instanceof ConfigError)) throw err;
        if (opts.config !== DEFAULT_CONFIG_PATH) throw err;
      }
      await withClient(cmd, async (client) => {
        const report = await collectStatus(client, cfg);
        const backups = cfg ? await backupStatus(client, cfg) : [];
        if (opts.json) return json({ ...report, backups });
        printTable(
          ['HOST', 'STATE', 'SNAPSHOT AGE', 'CPU', 'MEM', 'FULLEST FS', 'NET RX/TX', 'NOTE'],
          report.hosts.map((h) => {
            const s = h.snapshot;
            const fullest = s?.filesystems.reduce<(typeof s.filesystems)[number] | undefined>(
              (a, f) => (!a || f.usedPercent > a.usedPercent ? f : a),
              undefined,
            );
            const rx = s?.network.reduce((n, i) => n + (i.rxBytesPerSec ?? 0), 0);
            const tx = s?.network.reduce((n, i) => n + (i.txBytesPerSec ?? 0), 0);
            return [
              h.host,
              h.state,
              h.ageSeconds === null ? '-' : formatDuration(h.ageSeconds * 1000),
              pct(s?.cpu.loadPercent),
              pct(s?.memory.usedPercent),
              fullest ? `${fullest.mount} ${pct(fullest.usedPercent)}` : '-',
              s ? `${bytesPerSec(rx)} / ${bytesPerSec(tx)}` : '-',
              h.error ?? '',
            ];
          }),
        );
        if (backups.length) {
          console.log('');
          printTable(
            ['BACKUP SET', 'HOST', 'NEWEST VERIFIED', 'RECOVERY POINT', 'NEXT RUN', 'NOTE'],
            backups.map((b) => [
              b.set,
              b.host,
              b.newest ? `${b.newest.id}` : '-',
              b.recoveryPointSeconds === null ? '-' : `${formatDuration(b.recoveryPointSeconds * 1000)} ago`,
              b.nextRunAt ?? 'not scheduled',
              [b.running ? 'running now' : '', b.lastFailure ? `last run failed ${b.lastFailure.at}` : '']
                .filter(Boolean)
                .join('; '),
            ]),
          );
        }
        if (report.schedules.length) {
          console.log('');
          printTable(
            ['SCHEDULE', 'PAUSED', 'LAST RUN', 'NEXT RUN'],
            report.schedules.map((s) => [
              s.id,
              s.paused ? 'yes' : 'no',
              s.lastRunAt ?? '-',
              s.nextRunAt ?? '-',
            ]),
          );
        }
      });
    });

  const backup = program.command('backup').description('run, list, verify and prune the backups of a set');
  const configOption = () => new Option('--config <file>', 'config file').default(DEFAULT_CONFIG_PATH);

  backup
    .command('run')
    .description('start a backup of SET now (refused while one of that set is in progress)')
    .argument('<set>', 'backup set name')
    .addOption(configOption())
    .option('--wait', 'wait for the result')
    .option('--json', 'print the result (or the started workflow) as JSON')
    .action(async (set: string, opts: { config: string; wait?: boolean; json?: boolean }, cmd: Command) => {
      const b = findSet(loadConfig(opts.config), set);
      await withClient(cmd, async (client) => {
        await warnIfHostDown(client, b.spec.host);
        const handle = await startBackup(client, b.spec, 'manual');
        if (!opts.wait) {
          if (opts.json) return json({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });
          console.log(
            `started backup of ${set}: workflow ${handle.workflowId} (run ${handle.firstExecutionRunId})`,
          );
          return;
        }
        let r: BackupResult;
        try {
          r = (await handle.result()) as BackupResult;
        } catch (err) {
          throw new OperationFailed(`backup of ${set} failed: ${failureMessage(err, b.spec.host)}`);
        }
        if (opts.json) return json(r);
        printBackupResult(r);
      });
    });

  backup
    .command('list')
    .description('list the backups of SET (read on its host), oldest first')
    .argument('<set>', 'backup set name')
    .addOption(configOption())
    .option('--json', 'print the listing as JSON')
    .action(async (set: string, opts: { config: string; json?: boolean }, cmd: Command) => {
      const b = findSet(loadConfig(opts.config), set);
      await withClient(cmd, async (client) => {
        const l = await onHost(client, b.spec.host, `listing backups of ${set}`, () =>
          listBackups(client, b.spec),
        );
        if (opts.json) return json(l);
        if (l.backups.length === 0)
          console.log(`no backups of ${set} in ${b.spec.destination} on ${b.spec.host}`);
        else
          printTable(
            ['ID', 'CREATED', 'FILES', 'DATA', 'ARCHIVE', 'WARNINGS'],
            l.backups.map((x) => [
              x.id,
              x.createdAt,
              String(x.files),
              bytes(x.bytesIn),
              bytes(x.archiveBytes),
              String(x.warnings.length),
            ]),
          );
        for (const u of l.unreadable) console.log(`unreadable manifest ${u.id}: ${u.error}`);
        for (const d of l.damaged) console.log(`damaged, not a backup any more: ${d.id}: ${d.reason}`);
        if (l.orphans.length)
          console.log(
            `archives without a manifest (interrupted runs, removed by the next backup): ${l.orphans.join(', ')}`,
          );
      });
    });

  backup
    .command('verify')
    .description(
      're-read archives of SET and report each as ok, corrupted or missing (exit 1 if any is not ok)',
    )
    .argument('<set>', 'backup set name')
    .argument('[id]', 'one backup (default: all)')
    .addOption(configOption())
    .option('--all', 'every backup of the set (the default)')
    .option('--quick', "only check each archive's SHA-256, do not decompress")
    .option('--json', 'print the reports as JSON')
    .action(
      async (
        set: string,
        id: string | undefined,
        opts: { config: string; all?: boolean; quick?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        if (id && opts.all) throw new BadInput('give a backup ID or --all, not both');
        const b = findSet(loadConfig(opts.config), set);
        await withClient(cmd, async (client) => {
          const reports = await onHost(client, b.spec.host, `verify of ${set}`, () =>
            verifyBackups(client, b.spec, {
              ...(id ? { ids: [id] } : {}),
              deep: !opts.quick,
            }),
          );
          if (opts.json) json(reports);
          else if (reports.length === 0) console.log(`no backups of ${set} to verify`);
          else
            printTable(
              ['ID', 'STATUS', 'DETAIL'],
              reports.map((r) => [r.id, r.status, r.detail]),
            );
          if (reports.some((r) => r.status !== 'ok')) process.exitCode = EXIT.failure;
        });
      },
    );

  backup
    .command('prune')
    .description(
      'apply the retention policy of SET: every backup with keep/remove and the rules that keep it',
    )
    .argument('<set>', 'backup set name')
    .addOption(configOption())
    .option('--dry-run', 'only report what would be removed')
    .option('--json', 'print the decisions as JSON')
    .action(async (set: string, opts: { config: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const b = findSet(loadConfig(opts.config), set);
      await withClient(cmd, async (client) => {
        const r = await onHost(client, b.spec.host, `prune of ${set}`, () =>
          pruneBackups(client, b.spec, { dryRun: !!opts.dryRun }),
        );
        if (opts.json) return json({ dryRun: !!opts.dryRun, backups: r.decisions, removed: r.removed });
        printTable(
          ['ID', 'CREATED', 'DECISION', 'KEPT BY'],
          r.decisions.map((d) => [
            d.id,
            d.createdAt,
            d.keep ? 'keep' : opts.dryRun ? 'would remove' : 'removed',
            d.reasons.join(', '),
          ]),
        );
        console.log(
          `${r.decisions.filter((d) => d.keep).length} kept, ${r.decisions.filter((d) => !d.keep).length} ${opts.dryRun ? 'to remove (dry run)' : 'removed'}`,
        );
      });
    });

  backup
    .command('drill')
    .description('restore a backup of SET (default the newest) into a scratch directory, check it, remove it')
    .argument('<set>', 'backup set name')
    .argument('[id]', 'backup ID (default: newest)')
    .addOption(configOption())
    .option('--json', 'print the result as JSON')
    .action(
      async (set: string, id: string | undefined, opts: { config: string; json?: boolean }, cmd: Command) => {
        const b = findSet(loadConfig(opts.config), set);
        await withClient(cmd, async (client) => {
          let r;
          try {
            r = await drillBackup(client, b.spec, id);
          } catch (err) {
            throw new OperationFailed(`restore drill of ${set} failed: ${failureMessage(err, b.spec.host)}`);
          }
          if (opts.json) return json(r);
          console.log(
            `drill ok: backup ${r.id} of ${set} restored and checked (${r.files} files, ${bytes(r.bytes)}) in ${formatDuration(r.durationMs)}`,
          );
        });
      },
    );

  program
    .command('restore')
    .description(
      'restore a backup of SET into DIR: checksum first, extract to a staging dir, check every file, swap in',
    )
    .argument('<set>', 'backup set name')
    .requiredOption('--to <dir>', 'directory to restore into (absolute path on the restoring host)')
    .option('--id <id>', 'this backup')
    .option('--at <time>', 'the newest backup at or before this time (ISO 8601, or "2h ago")')
    .option(
      '--host <host>',
      "host that restores (default: the set's host; the archive must be readable there)",
    )
    .option(
      '--discard-previous',
      'delete the previous content of DIR (after the swap succeeded) instead of keeping it aside',
    )
    .option(
      '--rate-limit <size>',
      'write at most this much restored data per second, e.g. 50MiB (spares a busy disk)',
      sizeOption,
    )
    .option(
      '--into-source',
      'allow DIR to be, contain or lie inside a path this host backs up (replacing live data with the backup)',
    )
    .option(
      '--allow-external-symlinks',
      'restore symlinks that point outside DIR (never followed while restoring)',
    )
    .addOption(configOption())
    .option('--wait', 'wait for the result')
    .option('--json', 'print the result (or the started workflow) as JSON')
    .action(
      async (
        set: string,
        opts: {
          to: string;
          id?: string;
          at?: string;
          host?: string;
          discardPrevious?: boolean;
          allowExternalSymlinks?: boolean;
          intoSource?: boolean;
          rateLimit?: number;
          config: string;
          wait?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (opts.id && opts.at) throw new BadInput('give --id or --at, not both');
        const cfg = loadConfig(opts.config);
        const b = findSet(cfg, set);
        if (opts.host && !cfg.hosts.some((h) => h.name === opts.host)) {
          throw new BadInput(
            `unknown host "${opts.host}"; defined hosts: ${cfg.hosts.map((h) => h.name).join(', ')}`,
          );
        }
        // Never resolved against this shell's working directory: the path is on the restoring host.
        const badTarget = restoreTargetError(opts.to);
        if (badTarget) throw new BadInput(badTarget);
        const to = opts.to;
        const at = opts.at !== undefined ? parseTime(opts.at) : undefined;
        const restoringHost = opts.host ?? b.spec.host;
        await withClient(cmd, async (client) => {
          const {
            handle,
            backup: picked,
            check,
          } = await onHost(client, b.spec.host, `listing backups of ${set}`, () =>
            startRestore(client, b.spec, {
              to,
              ...(opts.id ? { id: opts.id } : {}),
              ...(at !== undefined ? { at } : {}),
              ...(opts.host ? { host: opts.host } : {}),
              keepPrevious: !opts.discardPrevious,
              allowExternalSymlinks: !!opts.allowExternalSymlinks,
              protect: restoreProtection(cfg, restoringHost),
              ...(opts.intoSource ? { intoSource: true } : {}),
              ...(opts.rateLimit ? { maxBytesPerSec: opts.rateLimit } : {}),
            }),
          );
          if (!opts.wait) {
            if (opts.json)
              return json({
                workflowId: handle.workflowId,
                runId: handle.firstExecutionRunId,
                backup: picked.id,
              });
            console.log(
              `started restore of ${set} backup ${picked.id} (${picked.createdAt}) into ${check.target}: workflow ${handle.workflowId}`,
            );
            return;
          }
          let r: RestoreResult;
          try {
            r = (await handle.result()) as RestoreResult;
          } catch (err) {
            throw new OperationFailed(
              `restore of ${set} backup ${picked.id} failed: ${failureMessage(err, restoringHost)}`,
            );
          }
          if (opts.json) return json(r);
          printRestoreResult(r);
        });
      },
    );

  return program;
}

/** Maps an error to its message and exit code; bad input is 2, everything else 1. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return EXIT.ok;
    return EXIT.badInput; // commander already printed the message
  }
  if (err instanceof ConfigError) {
    for (const issue of err.issues) console.error(formatIssue(issue));
    console.error(`${err.issues.length} error(s); nothing was applied.`);
    return EXIT.badInput;
  }
  if (
    err instanceof BadInput ||
    err instanceof UsageError ||
    err instanceof UnknownBackupSet ||
    err instanceof NoSuchBackup ||
    err instanceof InvalidTime ||
    err instanceof InvalidRestoreTarget
  ) {
    console.error(`error: ${err.message}`);
    return EXIT.badInput;
  }
  if (
    err instanceof TemporalUnreachable ||
    err instanceof PortBusy ||
    err instanceof TemporalCliMissing ||
    err instanceof BackupInProgress ||
    err instanceof RestoreInProgress ||
    err instanceof RestoreRefused ||
    err instanceof OperationFailed
  ) {
    console.error(`error: ${err.message}`);
    return EXIT.failure;
  }
  // gRPC errors say "Failed to start Workflow" and keep the reason in their cause.
  const chain: string[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 5; e = (e as { cause?: unknown }).cause)
    chain.push(e.message);
  const text = chain.join(': ');
  const sa = /no mapping defined for search attribute (\w+)|search attribute (\w+) is not defined/i.exec(
    text,
  );
  if (sa) {
    console.error(
      `error: the server does not know the search attribute ${sa[1] ?? sa[2]}; run \`hactl apply\` once on this namespace (it registers HaKind, HaTarget, HaState and HaHost)`,
    );
    return EXIT.failure;
  }
  console.error(`error: ${text || String(err)}`);
  if (process.env.HA_DEBUG && err instanceof Error) console.error(err.stack);
  return EXIT.failure;
}

export async function main(argv: string[]): Promise<number> {
  try {
    // Inside the try: defaults read from the environment (HA_TEMPORAL_PORT) can be bad input too.
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}
