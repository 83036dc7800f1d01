// `hactl restore SET --to DIR`: checked on the restoring host first, then started.
import type { Command } from 'commander';
import { BadInput } from '../../core/errors';
import { parseSize } from '../../core/size';
import { parseTime } from '../../core/time';
import { configOption, parsed, withClient } from '../../platform/cli/context';
import { onHost, startAndMaybeWait } from '../../platform/cli/run';
import { loadConfig } from '../../platform/registry-api';
import { findSet, restoreProtection, startRestore, startRestoreInPlace } from '../client';
import { restoreTargetError } from '../model/types';
import { backupProgress, restoreFinal, restoreInPlaceFinal } from './progress';
import { renderRestoreInPlaceResult, renderRestoreResult } from './render';

interface RestoreFlags {
  to?: string;
  inPlace?: boolean;
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
}

export function register(program: Command): Command {
  return program
    .command('restore')
    .description(
      'restore a backup of SET into DIR: checksum first, extract to a staging dir, check every file, swap in',
    )
    .argument('<set>', 'backup set name')
    .option('--to <dir>', 'directory to restore into (absolute path on the restoring host)')
    .option(
      '--in-place',
      'restore into the paths the backup was taken from: each staged beside itself, all swapped once all are staged, previous content kept aside',
    )
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
      parsed((v) => {
        const r = parseSize(v);
        return 'error' in r ? r : r.bytes;
      }, '--rate-limit'),
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
    .action(async (set: string, opts: RestoreFlags, cmd: Command) => {
      if (opts.id && opts.at) throw new BadInput('give --id or --at, not both');
      if ((opts.to === undefined) === !opts.inPlace)
        throw new BadInput('give --to DIR or --in-place (one of them)');
      if (opts.inPlace && opts.intoSource)
        throw new BadInput('--in-place restores into the sources already; drop --into-source');
      const cfg = loadConfig(opts.config);
      const { spec } = findSet(cfg, set);
      if (opts.host && !cfg.hosts.some((h) => h.name === opts.host)) {
        throw new BadInput(
          `unknown host "${opts.host}"; defined hosts: ${cfg.hosts.map((h) => h.name).join(', ')}`,
        );
      }
      // Never resolved against this shell's working directory: the path is on the restoring host.
      const badTarget = opts.to !== undefined ? restoreTargetError(opts.to) : null;
      if (badTarget) throw new BadInput(badTarget);
      const at = opts.at !== undefined ? parseTime(opts.at) : undefined;
      const host = opts.host ?? spec.host;
      await withClient(cmd, async (client) => {
        if (opts.inPlace) {
          const r = await onHost(client, spec.host, `listing backups of ${set}`, () =>
            startRestoreInPlace(client, spec, {
              ...(opts.id ? { id: opts.id } : {}),
              ...(at !== undefined ? { at } : {}),
              ...(opts.host ? { host: opts.host } : {}),
              keepPrevious: !opts.discardPrevious,
              allowExternalSymlinks: !!opts.allowExternalSymlinks,
              protect: restoreProtection(cfg, host),
              ...(opts.rateLimit ? { maxBytesPerSec: opts.rateLimit } : {}),
            }),
          );
          await startAndMaybeWait(
            opts,
            {
              handle: r.handle,
              started: `started in-place restore of ${set} backup ${r.backup.id} (${r.backup.createdAt}) into ${r.checks.map((c) => c.target).join(', ')}: workflow ${r.handle.workflowId}`,
              extra: { backup: r.backup.id },
            },
            `in-place restore of ${set} backup ${r.backup.id}`,
            host,
            renderRestoreInPlaceResult,
            {
              poll: backupProgress(client, r.handle.workflowId, host, r.handle.firstExecutionRunId),
              final: restoreInPlaceFinal,
            },
          );
          return;
        }
        const { handle, backup, check } = await onHost(client, spec.host, `listing backups of ${set}`, () =>
          startRestore(client, spec, {
            to: opts.to!,
            ...(opts.id ? { id: opts.id } : {}),
            ...(at !== undefined ? { at } : {}),
            ...(opts.host ? { host: opts.host } : {}),
            keepPrevious: !opts.discardPrevious,
            allowExternalSymlinks: !!opts.allowExternalSymlinks,
            protect: restoreProtection(cfg, host),
            ...(opts.intoSource ? { intoSource: true } : {}),
            ...(opts.rateLimit ? { maxBytesPerSec: opts.rateLimit } : {}),
          }),
        );
        await startAndMaybeWait(
          opts,
          {
            handle,
            started: `started restore of ${set} backup ${backup.id} (${backup.createdAt}) into ${check.target}: workflow ${handle.workflowId}`,
            extra: { backup: backup.id },
          },
          `restore of ${set} backup ${backup.id}`,
          host,
          renderRestoreResult,
          {
            poll: backupProgress(client, handle.workflowId, host, handle.firstExecutionRunId),
            final: restoreFinal,
          },
        );
      });
    });
}
