// The reads one `hactl status` shares: a section's prefetch starts the listing and the queries
// before the config is parsed, and its collect picks them up instead of asking again.
import type { Client } from '@temporalio/client';
import { statusContext } from '../../src/platform/status';
import { controllerReads } from '../../src/platform/status-reads';

function fakeClient(): Client {
  return {
    connection: { withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn() },
    options: { namespace: 'default' },
  } as unknown as Client;
}

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('status reads shared by the sections', () => {
  it('each controller is listed and queried once, whether prefetched or asked for by name', async () => {
    const client = fakeClient();
    const ctx = statusContext(client);
    const calls: string[] = [];
    const reads = controllerReads(
      'group',
      async () => {
        calls.push('list');
        await tick();
        return ['a', 'b', 'c'];
      },
      async (_c, name) => {
        calls.push(`query ${name}`);
        await tick();
        return { name };
      },
    );
    reads.prefetch(client, ctx);
    // The config names a subset, and one controller the listing does not have (not applied yet).
    expect(await reads.views(client, ctx, ['b', 'd'])).toEqual([{ name: 'b' }, { name: 'd' }]);
    expect(await reads.views(client, ctx)).toEqual([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    expect(calls.sort()).toEqual(['list', 'query a', 'query b', 'query c', 'query d']);
  });

  it('a failed query fails the views that include it, not the others', async () => {
    const client = fakeClient();
    const ctx = statusContext(client);
    const reads = controllerReads(
      'service',
      async () => ['ok', 'bad'],
      async (_c, name) => {
        if (name === 'bad') throw new Error('no worker answers');
        return name;
      },
    );
    reads.prefetch(client, ctx);
    await expect(reads.views(client, ctx)).rejects.toThrow('no worker answers');
    expect(await reads.views(client, ctx, ['ok'])).toEqual(['ok']);
  });

  it('settled waits for the queries the listing started after it, failures included', async () => {
    const client = fakeClient();
    const ctx = statusContext(client);
    const done: string[] = [];
    const reads = controllerReads(
      'monitor',
      async () => {
        await tick();
        return ['h1', 'h2'];
      },
      async (_c, name) => {
        await tick(20);
        done.push(name);
        if (name === 'h2') throw new Error('timed out');
        return name;
      },
    );
    reads.prefetch(client, ctx);
    await ctx.settled();
    expect(done.sort()).toEqual(['h1', 'h2']);
  });
});
