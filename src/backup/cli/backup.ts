// `hactl backup run | list | verify | prune | drill`.
import type { Command } from 'commander';
import { BadInput, EXIT } from '../../core/errors';
import { configOption, printJson, printLines, withClient } from '../../platform/cli/context';
import { onHost, startAndMaybeWait, warnIfHostDown, workflowError } from '../../platform/cli/run';
import { loadConfig } from '../../platform/registry-api';
import { drillBackup, findSet, listBackups, pruneBackups, startBackup, startVerifyBackups } from '../client';
import { followProgress } from '../../platform/cli/progress-watch';
import { backupFinal, backupProgress, verifyFinal } from './progress';
import { renderBackupResult, renderDrill, renderListing, renderPrune, renderVerify } from './render';

const setOf = (configFile: string, set: string) => findSet(loadConfig(configFile), set);

export function register(program: Command): Command {
  const backup = program
    .command('backup')
    .description('run, list, verify, prune and drill the backups of a set');

  backup
    .command('run')
    .description('start a backup of SET now (refused while one of that set is in progress)')
    .argument('<set>', 'backup set name')
    .addOption(configOption())
    .option('--wait', 'wait for the result')
    .option('--json', 'print the result (or the started workflow) as JSON')
    .action(async (set: string, opts: { config: string; wait?: boolean; json?: boolean }, cmd: Command) => {
      const { spec } = setOf(opts.config, set);
      await withClient(cmd, async (client) => {
        await warnIfHostDown(client, spec.host);
        const handle = await startBackup(client, spec, 'manual');
        await startAndMaybeWait(
          opts,
          {
            handle,
            started: `started backup of ${set}: workflow ${handle.workflowId} (run ${handle.firstExecutionRunId})`,
          },
          `backup of ${set}`,
          spec.host,
          renderBackupResult,
          {
            poll: backupProgress(client, handle.workflowId, spec.host, handle.firstExecutionRunId),
            final: backupFinal,
          },
        );
      });
    });

  backup
    .command('list')
    .description('list the backups of SET (read on its host), oldest first')
    .argument('<set>', 'backup set name')
    .addOption(configOption())
    .option('--json', 'print the listing as JSON')
    .action(async (set: string, opts: { config: string; json?: boolean }, cmd: Command) => {
      const { spec } = setOf(opts.config, set);
      await withClient(cmd, async (client) => {
        const l = await onHost(client, spec.host, `listing backups of ${set}`, () =>
          listBackups(client, spec),
        );
        if (opts.json) return printJson(l);
        printLines(renderListing(l, set, spec));
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
        const { spec } = setOf(opts.config, set);
        await withClient(cmd, async (client) => {
          const reports = await onHost(client, spec.host, `verify of ${set}`, async () => {
            const h = await startVerifyBackups(client, spec, {
              ...(id ? { ids: [id] } : {}),
              deep: !opts.quick,
            });
            return followProgress(h.result(), {
              json: !!opts.json,
              poll: backupProgress(client, h.workflowId, spec.host, h.firstExecutionRunId),
              final: verifyFinal,
            });
          });
          if (opts.json) printJson(reports);
          else printLines(renderVerify(reports, set));
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
      const { spec } = setOf(opts.config, set);
      await withClient(cmd, async (client) => {
        const r = await onHost(client, spec.host, `prune of ${set}`, () =>
          pruneBackups(client, spec, { dryRun: !!opts.dryRun }),
        );
        if (opts.json) return printJson({ dryRun: !!opts.dryRun, backups: r.decisions, removed: r.removed });
        printLines(renderPrune(r.decisions, !!opts.dryRun));
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
        const { spec } = setOf(opts.config, set);
        await withClient(cmd, async (client) => {
          let r;
          try {
            r = await drillBackup(client, spec, id);
          } catch (err) {
            throw workflowError(err, `restore drill of ${set}`, spec.host);
          }
          if (opts.json) return printJson(r);
          printLines(renderDrill(r, set));
        });
      },
    );

  return backup;
}
