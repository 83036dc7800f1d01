// `hactl alerts [--json] [--state S]` and `hactl alerts ack FINGERPRINT --comment ...`.
import { Option } from 'commander';
import type { Command } from 'commander';
import { printJson, printLines, withClient } from '../../platform/cli/context';
import { ackAlert, listAlerts } from '../client';
import { renderAlerts } from './render';
import { whoAmI } from '../../platform/cli/who';

export function register(program: Command): Command {
  const alerts = program
    .command('alerts')
    .description('list alerts (firing, pending, resolved) and acknowledge them');
  alerts
    .command('list', { isDefault: true })
    .description(
      'every alert with its state, since, value, labels, and whether it is silenced or acknowledged',
    )
    .addOption(new Option('--state <state>', 'only these').choices(['firing', 'pending', 'resolved']))
    .option('--json', 'print the alerts (and silences) as JSON')
    .action(async (opts: { state?: string; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const view = await listAlerts(client);
        const shown = opts.state ? view.alerts.filter((a) => a.state === opts.state) : view.alerts;
        if (opts.json) return printJson(shown);
        printLines(renderAlerts(shown));
      });
    });
  alerts
    .command('ack')
    .description('acknowledge a firing alert: no repeat notifications until it resolves')
    .argument('<fingerprint>', 'the alert (see hactl alerts)')
    .requiredOption('--comment <text>', 'why, for the record')
    .option('--by <name>', 'who acknowledges (default: user@machine)')
    .option('--json', 'print the acknowledgement as JSON')
    .action(async (fp: string, opts: { comment: string; by?: string; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const a = await ackAlert(client, fp, opts.by ?? whoAmI(), opts.comment);
        if (opts.json) return printJson(a);
        console.log(`acknowledged ${a.fingerprint} (${a.by}, ${a.at}): no repeats until it resolves`);
      });
    });
  return alerts;
}
