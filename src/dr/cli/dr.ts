// `hactl dr list|run|status|approve|reject|abort|skip|retry|pause|resume|report|runs`.
import type { Command } from 'commander';
import { BadInput, OperationFailed } from '../../core/errors';
import { parseTime } from '../../core/time';
import { configOption, printJson, printLines, withClient } from '../../platform/cli/context';
import { whoAmI } from '../../platform/cli/who';
import { loadConfig } from '../../platform/registry-api';
import { followProgress } from '../../platform/cli/progress-watch';
import { decide, findPlan, listRuns, runReport, runState, startRun } from '../client';
import { drProgress } from './progress';
import type { DrConfig } from '../desired';
import { renderReportMarkdown } from '../model/report';
import type { RunReport } from '../model/report';
import type { DecisionVerb } from '../model/requests';
import { renderPlans, renderRun, renderRuns } from './render';

const config = (file: string): DrConfig => loadConfig(file);

function printReport(r: RunReport, how: { json?: boolean }): void {
  if (how.json) return printJson(r);
  printLines(renderReportMarkdown(r));
}

export function register(program: Command): Command {
  const dr = program.command('dr').description('disaster-recovery plans: runs, drills, approvals, reports');
  dr.command('list')
    .description('the plans in the config: steps, RTO and RPO targets, contacts, drill schedule')
    .addOption(configOption())
    .option('--json', 'print the plans as JSON')
    .action((opts: { config: string; json?: boolean }) => {
      const plans = config(opts.config).drPlans ?? [];
      if (opts.json) return printJson(plans);
      printLines(renderPlans(plans));
    });
  dr.command('run')
    .description('start a run of PLAN (or a drill); prints its workflow ID')
    .argument('<plan>')
    .addOption(configOption())
    .option(
      '--drill',
      'a drill: restores go to scratch, production steps are skipped, everything is removed at the end',
    )
    .option(
      '--incident-at <time>',
      'when the incident began (ISO time or "20m ago"): the RTO clock starts there',
    )
    .option('--as <name>', 'who starts it (default: user@machine); they may not approve its steps')
    .option('--name <run>', 'the run’s name (default: its start time)')
    .option('--wait', 'wait for the end and print the report; exit 1 unless it completed')
    .option('--json', 'with --wait: print the report as JSON')
    .action(
      async (
        plan: string,
        opts: {
          config: string;
          drill?: boolean;
          incidentAt?: string;
          as?: string;
          name?: string;
          wait?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const cfg = config(opts.config);
        const incidentAt = opts.incidentAt
          ? new Date(parseTime(opts.incidentAt, Date.now())).toISOString()
          : undefined;
        if (incidentAt && Date.parse(incidentAt) > Date.now() + 60_000)
          throw new BadInput(`--incident-at ${opts.incidentAt} is in the future`);
        await withClient(cmd, async (client) => {
          const h = await startRun(client, cfg, plan, {
            drill: opts.drill ?? false,
            by: opts.as ?? whoAmI(),
            ...(incidentAt ? { incidentAt } : {}),
            ...(opts.name ? { run: opts.name } : {}),
          });
          if (!opts.wait) return console.log(h.workflowId);
          console.error(
            `started ${h.workflowId}; waiting (hactl dr status ${h.workflowId} in another terminal)`,
          );
          const r = await followProgress(h.result(), {
            json: !!opts.json,
            poll: drProgress(client, h.workflowId, findPlan(cfg, plan)),
            final: (x) => `${h.workflowId} ${x.outcome}`,
          });
          printReport(r, opts);
          if (r.outcome !== 'completed') throw new OperationFailed(`${h.workflowId} ended ${r.outcome}`);
        });
      },
    );
  dr.command('status')
    .description('each step’s state, attempts, time and detail; what awaits approval and how to answer')
    .argument('<run>', 'dr:<plan>:<run>')
    .option('--json', 'print the run as JSON')
    .action(async (run: string, opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const v = await runState(client, run);
        if (opts.json) return printJson(v);
        printLines(renderRun(v));
      });
    });
  const verbs: Array<[DecisionVerb, string, 'optional' | 'required' | 'none']> = [
    ['approve', 'approve a step awaiting approval (the only one, if STEP is left out)', 'optional'],
    ['reject', 'reject a step awaiting approval: the run is aborted and undone', 'optional'],
    ['abort', 'stop the run: running steps stop, completed steps are undone newest first', 'none'],
    ['skip', 'skip a step that has not finished (a running one is stopped)', 'required'],
    ['retry', 'retry a step that failed and asks (onFailure: ask)', 'required'],
    ['pause', 'start no new step until resume (running steps go on)', 'none'],
    ['resume', 'start steps again after pause', 'none'],
  ];
  for (const [verb, what, stepArg] of verbs) {
    const c = dr.command(verb).description(what).argument('<run>', 'dr:<plan>:<run>');
    if (stepArg === 'optional') c.argument('[step]');
    if (stepArg === 'required') c.argument('<step>');
    c.option('--as <name>', 'who decides, for the record (default: user@machine)')
      .option('--comment <text>', 'why, for the record')
      .action(async (run: string, ...rest: unknown[]) => {
        const cmd = rest.at(-1) as Command;
        const opts = rest.at(-2) as { as?: string; comment?: string };
        const step = stepArg === 'none' ? undefined : (rest[0] as string | undefined);
        await withClient(cmd, async (client) => {
          console.log(
            await decide(client, run, verb, {
              by: opts.as ?? whoAmI(),
              ...(step !== undefined ? { step } : {}),
              ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
            }),
          );
        });
      });
  }
  dr.command('report')
    .description(
      'per step: state, attempts, times against targets, decisions, output; RTO and RPO against targets',
    )
    .argument('<run>', 'dr:<plan>:<run>')
    .option('--markdown', 'Markdown (the default)')
    .option('--json', 'JSON')
    .action(async (run: string, opts: { json?: boolean; markdown?: boolean }, cmd: Command) => {
      if (opts.json && opts.markdown) throw new BadInput('choose --markdown or --json');
      await withClient(cmd, async (client) => printReport(await runReport(client, run), opts));
    });
  dr.command('runs')
    .description('runs of PLAN (or of every plan), newest first')
    .argument('[plan]')
    .option('--json', 'print the runs as JSON')
    .action(async (plan: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const runs = await listRuns(client, plan);
        if (opts.json) return printJson(runs);
        printLines(renderRuns(runs));
      });
    });
  return dr;
}
