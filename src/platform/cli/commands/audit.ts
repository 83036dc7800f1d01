// `hactl audit [--since 24h] [--json]`: who did what, when and why, from the histories of our
// workflows (Temporal's own records).
import type { Command } from 'commander';
import { DURATION_LIMITS, durationTooLong, parseDuration } from '../../../core/duration';
import { BadInput } from '../../../core/errors';
import type { AuditEntry } from '../../audit';
import { formatTable } from '../table';
import { printJson, printLines, withClient } from '../context';

function sinceOption(value: string): number {
  const r = parseDuration(value);
  if ('error' in r) throw new BadInput(`--since ${value}: ${r.error}`);
  const long = durationTooLong(r.ms, DURATION_LIMITS.auditSince);
  if (long) throw new BadInput(`--since ${value}: ${long}`);
  return r.ms;
}

/** The table `hactl audit` prints. Pure. */
export function renderAudit(entries: readonly AuditEntry[], sinceMs: number): string[] {
  if (entries.length === 0) return [`no actions by people in the last ${Math.round(sinceMs / 3_600_000)}h`];
  return formatTable(
    ['AT', 'WHO', 'WHAT', 'WORKFLOW', 'DETAIL', 'COMMENT'],
    entries.map((e) => [e.at, e.who, e.what, e.workflowId, e.detail || '-', e.comment || '-']),
  );
}

export function register(program: Command): Command {
  return program
    .command('audit')
    .description(
      'who did what and when (approvals, aborts, switchovers, silences, restores, ...), from the workflows’ histories',
    )
    .option('--since <duration>', 'how far back (a duration such as 24h or 7d)', sinceOption, 24 * 3_600_000)
    .option('--json', 'print the entries as JSON')
    .action(async (opts: { since: number; json?: boolean }, cmd: Command) => {
      const [{ collectAudit }, { CAPABILITIES }] = await Promise.all([
        import('../../audit'),
        import('../../../registry'),
      ]);
      await withClient(cmd, async (client) => {
        const entries = await collectAudit(client, CAPABILITIES, Date.now() - opts.since);
        if (opts.json) return printJson(entries);
        printLines(renderAudit(entries, opts.since));
      });
    });
}
