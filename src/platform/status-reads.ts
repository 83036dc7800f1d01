// Controller reads shared by the sections of one `hactl status`: the names of a kind's running
// controllers and each one's query, started early (by a section's prefetch, before the config is
// parsed) and picked up by its collect.
import type { Client } from '@temporalio/client';
import type { StatusContext } from './capability';

const QUERY_TIMEOUT_MS = 5_000;

export interface ControllerReads<V> {
  /** Starts the listing, and each query as the listing names it. */
  prefetch: (client: Client, ctx: StatusContext) => void;
  /** The running controllers' names, from the listing. */
  names: (client: Client, ctx: StatusContext) => Promise<string[]>;
  /** One controller's view. */
  view: (client: Client, ctx: StatusContext, name: string) => Promise<V>;
  /** The views of these controllers (all running ones without names); rejects if one fails. */
  views: (client: Client, ctx: StatusContext, names?: readonly string[]) => Promise<V[]>;
}

export function controllerReads<V>(
  kind: string,
  list: (client: Client) => Promise<string[]>,
  query: (client: Client, name: string) => Promise<V>,
): ControllerReads<V> {
  const within = <T>(client: Client, fn: () => Promise<T>): Promise<T> =>
    client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, fn);
  const one = (client: Client, ctx: StatusContext, name: string): Promise<V> =>
    ctx.shared(`${kind}:${name}`, () => within(client, () => query(client, name)));
  const all = (client: Client, ctx: StatusContext): Promise<string[]> =>
    ctx.shared(`${kind}:*`, async () => {
      const names = await within(client, () => list(client));
      for (const n of names) void one(client, ctx, n);
      return names;
    });
  return {
    prefetch: (client, ctx) => void all(client, ctx),
    names: all,
    view: one,
    views: async (client, ctx, names) => {
      const list = names ?? (await all(client, ctx));
      return Promise.all(list.map((n) => one(client, ctx, n)));
    },
  };
}
