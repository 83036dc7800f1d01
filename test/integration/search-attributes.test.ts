// Search attributes are registered on namespaces that lack them, through the operator API
// (what `hactl dev` does on an existing database and `hactl apply` does on any server).
import { Connection } from '@temporalio/client';
import Long from 'long';
import { ensureSearchAttributes } from '../../src/platform/temporal/search-attributes';
import { hactl, testEnv, waitFor } from '../helpers';

const env = testEnv(__filename);

it('adds the missing attributes once and is a no-op after', async () => {
  const connection = await Connection.connect({ address: env.address });
  try {
    const ns = `sa-${Date.now()}`;
    await connection.workflowService.registerNamespace({
      namespace: ns,
      workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86400) },
    });
    await waitFor(
      async () => (await connection.workflowService.describeNamespace({ namespace: ns })) && true,
      { timeoutMs: 30_000 },
    );
    const before = await connection.operatorService.listSearchAttributes({ namespace: ns });
    expect(Object.keys(before.customAttributes ?? {})).not.toContain('HaKind');
    // Starting our workflows there fails with a message that says what to do.
    const r = await waitFor(
      async () => {
        const x = await hactl(['backup', 'run', 'config', '--namespace', ns], { env: env.env });
        return x.stderr.includes('does not exist') ? undefined : x;
      },
      { timeoutMs: 30_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /the server does not know the search attribute Ha\w+; run `hactl apply` once on this namespace/,
    );
    const added = await waitFor(async () => ensureSearchAttributes(connection, ns), { timeoutMs: 30_000 });
    expect(added.sort()).toEqual(['HaAlerts', 'HaConfig', 'HaHost', 'HaKind', 'HaState', 'HaTarget']);
    expect(await ensureSearchAttributes(connection, ns)).toEqual([]);
  } finally {
    await connection.close();
  }
});
