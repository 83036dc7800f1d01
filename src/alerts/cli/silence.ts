// `hactl silence add | list | expire`.
import type { Command } from 'commander';
import { BadInput } from '../../core/errors';
import { DURATION_LIMITS, durationTooLong, parseDuration } from '../../core/duration';
import { parseTime } from '../../core/time';
import { printJson, printLines, withClient } from '../../platform/cli/context';
import { addSilence, expireSilence, listAlerts } from '../client';
import { parseMatcher } from '../model/labels';
import type { Matcher } from '../model/types';
import { renderSilences } from './render';
import { whoAmI } from '../../platform/cli/who';

function collectMatcher(value: string, prev: Matcher[] = []): Matcher[] {
  const m = parseMatcher(value);
  if ('error' in m) throw new BadInput(`--match ${value}: ${m.error}`);
  return [...prev, m];
}

interface AddFlags {
  match?: Matcher[];
  for?: string;
  until?: string;
  comment: string;
  untilResolved?: boolean;
  by?: string;
  json?: boolean;
}

export function register(program: Command): Command {
  const silence = program
    .command('silence')
    .description('silence alerts by their labels, list and end silences');
  silence
    .command('add')
    .description(
      'silence the alerts that match every --match, for a time (and optionally until they resolve)',
    )
    .option(
      '--match <matcher>',
      'name=value, name!=value, name=~regex or name!~regex (repeat for several)',
      collectMatcher,
    )
    .option('--for <duration>', 'how long, e.g. 2h')
    .option('--until <time>', 'until when (ISO 8601)')
    .option('--until-resolved', 'also end as soon as the alerts it silenced have resolved')
    .requiredOption('--comment <text>', 'why, for the record')
    .option('--by <name>', 'who silences (default: user@machine)')
    .option('--json', 'print the silence as JSON')
    .action(async (opts: AddFlags, cmd: Command) => {
      if (!opts.match?.length)
        throw new BadInput('give at least one --match, e.g. --match alertname=DiskFull');
      if (!!opts.for === !!opts.until) throw new BadInput('give --for or --until (one of them)');
      let endsAt: number;
      if (opts.for) {
        const d = parseDuration(opts.for);
        if ('error' in d) throw new BadInput(`--for ${opts.for}: ${d.error}`);
        const long = durationTooLong(d.ms, DURATION_LIMITS.repeatInterval);
        if (long) throw new BadInput(`--for ${opts.for}: ${long}`);
        endsAt = Date.now() + d.ms;
      } else {
        endsAt = parseTime(opts.until!);
        if (endsAt <= Date.now()) throw new BadInput(`--until ${opts.until} is in the past`);
      }
      await withClient(cmd, async (client) => {
        const s = await addSilence(client, {
          matchers: opts.match!,
          endsAt: new Date(endsAt).toISOString(),
          createdBy: opts.by ?? whoAmI(),
          comment: opts.comment,
          untilResolved: !!opts.untilResolved,
        });
        if (opts.json) return printJson(s);
        console.log(
          `silence ${s.id} until ${s.endsAt}${s.untilResolved ? ' or until the alerts resolve' : ''}`,
        );
      });
    });
  silence
    .command('list')
    .description('silences, active first')
    .option('--all', 'ended ones too')
    .option('--json', 'print them as JSON')
    .action(async (opts: { all?: boolean; json?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const now = Date.now();
        const all = (await listAlerts(client)).silences;
        const shown = opts.all ? all : all.filter((s) => s.expiredAt === null && Date.parse(s.endsAt) > now);
        if (opts.json) return printJson(shown);
        printLines(renderSilences(shown));
      });
    });
  silence
    .command('expire')
    .description('end a silence now')
    .argument('<id>', 'the silence (see hactl silence list)')
    .option('--by <name>', 'who ends it (default: user@machine)')
    .action(async (id: string, opts: { by?: string }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const s = await expireSilence(client, id, opts.by ?? whoAmI());
        console.log(`silence ${s.id} ended ${s.expiredAt}`);
      });
    });
  return silence;
}
