// `hactl services [--json]`: every service with its instances.
import type { Command } from 'commander';
import { printJson, printLines, withClient } from '../../platform/cli/context';
import { listServices } from '../client';
import { renderServices } from './render';

export function register(program: Command): Command {
  return program
    .command('services')
    .description('every service: desired and healthy instances, where they run, restarts, the last reason')
    .argument('[name...]', 'only these services')
    .option('--json', 'print the services as JSON')
    .action(async (names: string[], opts: { json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const list = await listServices(client, names.length ? names : undefined);
        if (opts.json) return printJson(list);
        printLines(renderServices(list, Date.now()));
      });
    });
}
