// `hactl status`: every capability's section and the schedules, from the server. With --watch
// it refreshes every --interval until Ctrl-C (exit 0): on a terminal the screen is redrawn, when
// piped each refresh is a new block after a timestamp line.
import type { Command } from 'commander';
import { parseDuration } from '../../../core/duration';
import { ConfigError } from '../../config/issues';
import { DEFAULT_CONFIG_PATH } from '../../config/load';
import type { HaConfig } from '../../registry-api';
import { collectStatus, loadConfig, statusContext, statusSections } from '../../registry-api';
import { connectClient } from '../../temporal/connection';
import { renderStatus } from '../../status';
import { globals, parsed, printJson, printLines, withClient } from '../context';
import { outputMode } from '../progress';

/** Home, clear screen (and scrollback): the next block is drawn from the top. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J\x1b[3J';

/** What goes before each refresh: the screen cleared (live) or a separator line (plain). */
export function refreshHeader(live: boolean, at: Date, everyMs: number): string {
  const when = `${at.toISOString()} (every ${everyMs / 1000}s; Ctrl-C stops)`;
  return live ? `${CLEAR_SCREEN}${when}\n\n` : `--- ${when}\n`;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function register(program: Command): Command {
  return program
    .command('status')
    .description(
      'the state of everything the config describes (one section per capability), and the schedules with their last and next run',
    )
    .option('--config <file>', 'config file (hosts, sets and schedules to show)', DEFAULT_CONFIG_PATH)
    .option('--json', 'print the full report as JSON')
    .option(
      '--watch',
      'refresh until Ctrl-C: redraws the screen on a terminal, a new block otherwise (with --json: one report a line)',
    )
    .option(
      '--interval <duration>',
      'with --watch: time between refreshes, e.g. 2s (the default), 1m',
      parsed((v) => {
        const r = parseDuration(v);
        if ('error' in r) return r;
        return r.ms >= 200 ? r.ms : { error: 'must be at least 200ms' };
      }, '--interval'),
    )
    .action(
      async (opts: { config: string; json?: boolean; watch?: boolean; interval?: number }, cmd: Command) => {
        const readConfig = (): HaConfig | undefined => {
          try {
            return loadConfig(opts.config);
          } catch (err) {
            // Status still works without a readable config: it shows what runs on the server.
            if (!(err instanceof ConfigError)) throw err;
            if (opts.config !== DEFAULT_CONFIG_PATH) throw err;
            return undefined;
          }
        };
        if (!opts.watch) {
          // The server lists the schedules, and what the sections read first, while the config
          // is parsed (a fleet's config takes a while); a bad config is still reported before an
          // unreachable server.
          let conn;
          try {
            conn = await connectClient(globals(cmd));
          } catch (err) {
            readConfig();
            throw err;
          }
          try {
            const ctx = statusContext(conn.client);
            // Awaited, and their errors reported, by the collection below.
            const listing = ctx.schedules().catch(() => undefined);
            for (const s of statusSections()) s.prefetch?.(conn.client, ctx);
            let cfg: HaConfig | undefined;
            try {
              cfg = readConfig();
            } catch (err) {
              await listing; // closing the connection under a call in flight would hide this error
              throw err;
            }
            const report = await collectStatus(conn.client, cfg, Date.now(), ctx);
            if (opts.json) return printJson(report);
            return printLines(renderStatus(report, statusSections()));
          } finally {
            await conn.close();
          }
        }
        const cfg = readConfig();
        await withClient(cmd, async (client) => {
          const everyMs = opts.interval ?? 2000;
          const live = outputMode({
            isTTY: !!process.stdout.isTTY,
            json: !!opts.json,
            env: process.env,
          }).live;
          // Ctrl-C ends the watch, not the process: the connection is closed and the exit code is 0.
          const stop = new AbortController();
          const onSignal = (): void => stop.abort();
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
          const stopped = new Promise<null>((resolve) =>
            stop.signal.addEventListener('abort', () => resolve(null), { once: true }),
          );
          try {
            while (!stop.signal.aborted) {
              const report = collectStatus(client, cfg).then(
                (r) => ({ r }),
                (err: Error) => ({ err }),
              );
              // A refresh in flight when Ctrl-C comes is not waited for.
              const got = await Promise.race([report, stopped]);
              if (!got) break;
              if (opts.json) {
                // One report per line (NDJSON): what a program reading the stream wants.
                if ('r' in got) process.stdout.write(`${JSON.stringify(got.r)}\n`);
              } else {
                process.stdout.write(refreshHeader(live, new Date(), everyMs));
                if ('r' in got) printLines(renderStatus(got.r, statusSections()));
              }
              // The server may be back at the next refresh: say what failed and go on.
              if ('err' in got) console.error(`error: ${got.err.message} (retrying in ${everyMs / 1000}s)`);
              await pause(everyMs, stop.signal);
            }
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
        });
      },
    );
}
