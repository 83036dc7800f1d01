// `hactl apply`: reconciles the config into Schedules and controllers, and says what it did.
import type { Command } from 'commander';
import { EXIT } from '../../../core/errors';
import { DEFAULT_CONFIG_PATH } from '../../config/load';
import type { ApplyResult } from '../../reconcile/apply';
import { describeStep } from '../../reconcile/apply';
import { applyConfig, loadConfig } from '../../registry-api';
import { printJson, withClient } from '../context';

/** The plan, step by step, and a summary line. Pure. */
export function renderApply(r: ApplyResult, dryRun: boolean): string[] {
  const lines = r.plan.steps.map(
    (step) =>
      `${dryRun && step.op !== 'unchanged' && step.op !== 'conflict' ? 'would ' : ''}${describeStep(step)}`,
  );
  const changes = r.plan.steps.filter((s) => s.op !== 'unchanged');
  if (changes.length === 0) lines.push(`No changes: ${r.unchanged.length} unchanged.`);
  else if (dryRun)
    lines.push(
      `Plan: ${r.created.length} to create, ${r.updated.length} to update, ${r.deleted.length} to delete, ${r.unchanged.length} unchanged. Nothing was changed (dry run).`,
    );
  else
    lines.push(
      `Applied: ${r.created.length} created, ${r.updated.length} updated, ${r.deleted.length} deleted, ${r.unchanged.length} unchanged.`,
    );
  return lines;
}

export function register(program: Command): Command {
  return program
    .command('apply')
    .description('create, update and delete the schedules and controllers that the config describes')
    .argument('[file]', 'config file', DEFAULT_CONFIG_PATH)
    .option('--dry-run', 'print the plan without changing anything')
    .option('--json', 'print {"created":[...],"updated":[...],"deleted":[...],"unchanged":[...]}')
    .action(async (file: string, opts: { dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const cfg = loadConfig(file);
      await withClient(cmd, async (client) => {
        const r = await applyConfig(client, cfg, {
          dryRun: !!opts.dryRun,
          onWait: (line) => console.error(line),
        });
        if (opts.json) {
          printJson({
            created: r.created,
            updated: r.updated,
            deleted: r.deleted,
            unchanged: r.unchanged,
            ...(r.conflicts.length ? { conflicts: r.conflicts } : {}),
          });
        } else for (const l of renderApply(r, !!opts.dryRun)) console.log(l);
        if (r.conflicts.length) {
          for (const c of r.conflicts) console.error(`conflict: ${c}`);
          process.exitCode = EXIT.failure;
        }
      });
    });
}
