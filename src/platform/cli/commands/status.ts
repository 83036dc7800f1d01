// `hactl status`: every capability's section and the schedules, from the server.
import type { Command } from 'commander';
import { ConfigError } from '../../config/issues';
import { DEFAULT_CONFIG_PATH } from '../../config/load';
import type { HaConfig } from '../../registry-api';
import { collectStatus, loadConfig, statusSections } from '../../registry-api';
import { renderStatus } from '../../status';
import { printJson, printLines, withClient } from '../context';

export function register(program: Command): Command {
  return program
    .command('status')
    .description(
      'the state of everything the config describes (one section per capability), and the schedules with their last and next run',
    )
    .option('--config <file>', 'config file (hosts, sets and schedules to show)', DEFAULT_CONFIG_PATH)
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
        if (opts.json) return printJson(report);
        printLines(renderStatus(report, statusSections()));
      });
    });
}
