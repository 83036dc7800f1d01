// `hactl service restart|scale|pause|resume|history NAME`.
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { printJson, printLines, withClient } from '../../platform/cli/context';
import { whoAmI } from '../../platform/cli/who';
import { pauseService, restartService, scaleService, serviceHistory } from '../client';
import { MAX_INSTANCES } from '../model/requests';
import { renderHistory } from './render';

function count(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n > MAX_INSTANCES)
    throw new InvalidArgumentError(`expected a whole number from 0 to ${MAX_INSTANCES}, got "${v}"`);
  return n;
}

export function register(program: Command): Command {
  const service = program
    .command('service')
    .description('restart, scale, pause, resume a service; its history');
  service
    .command('restart')
    .description('restart its instances, one at a time (each once the last is healthy again)')
    .argument('<name>', 'the service')
    .option('--host <host>', 'only the instances on this host')
    .option('--by <name>', 'who asks, for the record (default: user@machine)')
    .action(async (name: string, opts: { host?: string; by?: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        console.log(await restartService(client, name, opts.by ?? whoAmI(), opts.host));
      });
    });
  service
    .command('scale')
    .description("want N instances until the next hactl apply, which restores the config's minInstances")
    .argument('<name>', 'the service')
    .argument('<instances>', 'how many', count)
    .option('--by <name>', 'who asks, for the record (default: user@machine)')
    .action(async (name: string, n: number, opts: { by?: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        console.log(await scaleService(client, name, n, opts.by ?? whoAmI()));
      });
    });
  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    service
      .command(verb)
      .description(
        paused ? 'maintenance: probes go on, no action is taken until resume' : 'act again after a pause',
      )
      .argument('<name>', 'the service')
      .option('--reason <text>', 'why, for the record')
      .option('--by <name>', 'who asks, for the record (default: user@machine)')
      .action(async (name: string, opts: { reason?: string; by?: string }, cmd: Command) => {
        await withClient(cmd, async (client) => {
          console.log(await pauseService(client, name, paused, opts.by ?? whoAmI(), opts.reason));
        });
      });
  }
  service
    .command('history')
    .description('every decision and change of the service, with its reason, oldest first')
    .argument('<name>', 'the service')
    .option('--json', 'print the history as JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const h = await serviceHistory(client, name);
        if (opts.json) return printJson(h);
        printLines(renderHistory(name, h));
      });
    });
  return service;
}
