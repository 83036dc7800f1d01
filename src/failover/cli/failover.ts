// `hactl failover status|switchover|failover|pause|resume|history|explain`.
import type { Command } from 'commander';
import { parseTime } from '../../core/time';
import { printJson, printLines, withClient } from '../../platform/cli/context';
import { whoAmI } from '../../platform/cli/who';
import { failoverHistory, forceFailover, groupState, listGroups, pauseGroup, switchover } from '../client';
import { renderExplain, renderFailoverHistory, renderGroups } from './render';

export function register(program: Command): Command {
  const fo = program
    .command('failover')
    .description('failover groups: status, switchover, forced failover, pause, history, explain');
  fo.command('status', { isDefault: true })
    .description('nodes, roles, health per observer, lag, mode and the last event')
    .argument('[group]', 'one group')
    .option('--json', 'print the groups as JSON')
    .action(async (group: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const groups = await listGroups(client, group ? [group] : undefined);
        if (opts.json) return printJson(groups);
        printLines(renderGroups(groups));
      });
    });
  fo.command('switchover')
    .description('planned: demote the primary, promote NODE, verify, repoint (no fencing)')
    .argument('<group>')
    .requiredOption('--to <node>', 'the standby to promote')
    .option('--at <time>', 'when: an ISO time such as 2026-11-27T02:00:00Z; default now')
    .option('--by <name>', 'who asks, for the record (default: user@machine)')
    .action(async (group: string, opts: { to: string; at?: string; by?: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const at = opts.at ? new Date(parseTime(opts.at, Date.now())).toISOString() : undefined;
        console.log(await switchover(client, group, opts.to, opts.by ?? whoAmI(), at));
      });
    });
  fo.command('failover')
    .alias('promote')
    .description('fence the primary and promote NODE now, even if the primary looks alive or fencing fails')
    .argument('<group>')
    .requiredOption('--to <node>', 'the node to promote')
    .requiredOption('--force', 'required: this overrides the group’s own judgement')
    .option('--by <name>', 'who asks, for the record (default: user@machine)')
    .action(async (group: string, opts: { to: string; by?: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        console.log(await forceFailover(client, group, opts.to, opts.by ?? whoAmI()));
      });
    });
  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const)
    fo.command(verb)
      .description(
        paused ? 'watch the nodes but fail nothing over until resume' : 'fail over again when needed',
      )
      .argument('<group>')
      .option('--reason <text>', 'why, for the record')
      .option('--by <name>', 'who asks, for the record (default: user@machine)')
      .action(async (group: string, opts: { reason?: string; by?: string }, cmd: Command) => {
        await withClient(cmd, async (client) => {
          console.log(await pauseGroup(client, group, paused, opts.by ?? whoAmI(), opts.reason));
        });
      });
  fo.command('history')
    .description('every failover, switchover and refusal, with per-phase timings and reasons')
    .argument('<group>')
    .option('--json', 'print the events as JSON')
    .action(async (group: string, opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const h = await failoverHistory(client, group);
        if (opts.json) return printJson(h);
        printLines(renderFailoverHistory(group, h));
      });
    });
  fo.command('explain')
    .description('why the last decision was made, or why no failover happens now')
    .argument('<group>')
    .action(async (group: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => printLines(renderExplain(await groupState(client, group))));
    });
  return fo;
}
