// `hactl config validate`: every mistake as file:line:col  path  message, or a one-line summary.
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH } from '../../config/load';
import { loadConfig, summariseConfig } from '../../registry-api';
import { printJson } from '../context';

export function register(program: Command): Command {
  const config = program.command('config').description('work with the configuration file');
  config
    .command('validate')
    .description('check a config file and report every mistake as file:line:col  path  message')
    .argument('[file]', 'config file', DEFAULT_CONFIG_PATH)
    .option('--json', 'print the normalised config as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const cfg = loadConfig(file);
      if (opts.json) return printJson(cfg);
      console.log(summariseConfig(file, cfg));
    });
  return config;
}
