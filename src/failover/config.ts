// The `failover:` section: each group's nodes, observers, probes (health, role, lag), actions
// (fence, promote, demote, repoint), mode, target selection and the anti-flapping limits.
import { z } from 'zod';
import { DURATION_LIMITS, durationMs } from '../core/duration';
import type { ProbeSpec } from '../core/probe';
import type { ConfigSection, SectionContext } from '../platform/config/load';
import type { IssueCollector } from '../platform/config/issues';
import { checkProbes, commandSpec, httpUrl, probeSchema, probeSpec } from '../platform/config/probe';
import { checkHostRef, isObj, items, uniqueNames } from '../platform/config/rules';
import type { Obj } from '../platform/config/rules';
import { commandFields, duration, name, stringWithRefs } from '../platform/config/schema';
import type { PathSegment } from '../platform/config/yaml';
import type { ActionSpec, GroupSpec } from './model/types';

const actionSchema = z.union(
  [
    z.strictObject({ host: name().optional(), ...commandFields('30s') }),
    z.strictObject({
      host: name().optional(),
      http: z.strictObject({
        url: httpUrl(),
        method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
        timeout: duration({ min: 100, limit: DURATION_LIMITS.receiverTimeout }).default('10s'),
        expectStatus: z.array(z.number().int().min(100).max(599)).optional(),
        body: stringWithRefs().optional(),
      }),
    }),
  ],
  { error: 'an action is { argv: [...] } or { http: { url } }, optionally with host' },
);
const roleSchema = probeSchema;

export const groupSchema = z.strictObject({
  name: name(),
  nodes: z
    .array(
      z.strictObject({
        name: name(),
        host: name(),
        priority: z.number().int().min(0).max(1_000_000).default(100),
        nofailover: z.boolean().default(false),
        env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
      }),
    )
    .min(2, { error: 'a failover group needs at least two nodes' }),
  primary: name().optional(),
  /** Hosts whose workers probe every node; default the nodes' hosts. */
  observers: z.array(name()).min(1).optional(),
  health: z.array(probeSchema).min(1, { error: 'at least one health probe' }),
  role: roleSchema,
  lag: z.strictObject(commandFields('5s')).optional(),
  maximumLag: z.number().min(0).optional(),
  actions: z
    .strictObject({
      fence: z.array(actionSchema).default([]),
      promote: actionSchema.optional(),
      demote: actionSchema.optional(),
      repoint: z.array(actionSchema).default([]),
    })
    .default({ fence: [], repoint: [] }),
  mode: z.enum(['automatic', 'manual']).default('automatic'),
  select: z.enum(['priority', 'least-lag', 'least-loaded']).default('priority'),
  cooldown: duration({ limit: DURATION_LIMITS.restartWindow }).default('5m'),
  maxFailovers: z
    .strictObject({
      count: z.number().int().min(1).max(1000),
      window: duration({ min: 1000, limit: DURATION_LIMITS.restartWindow }),
    })
    .default({ count: 3, window: '1h' }),
  /** manual, or `automatic-after 10m`. */
  failback: z
    .string()
    .regex(/^(manual|automatic-after\s+\S+)$/, {
      error: 'failback is "manual" or "automatic-after <duration>"',
    })
    .default('manual'),
  allowUnfencedPromotion: z.boolean().default(false),
  verifyTimeout: duration({ min: 100, limit: DURATION_LIMITS.probeInterval }).default('10s'),
});

type RawGroup = z.infer<typeof groupSchema>;

function action(raw: z.infer<typeof actionSchema>, baseDir: string): ActionSpec {
  if ('http' in raw)
    return {
      host: raw.host ?? null,
      http: {
        url: raw.http.url,
        method: raw.http.method,
        timeoutMs: durationMs(raw.http.timeout),
        expectStatus: raw.http.expectStatus ?? [],
        body: raw.http.body ?? null,
      },
    };
  return { host: raw.host ?? null, command: commandSpec(raw, baseDir) };
}

function group(raw: RawGroup, ctx: SectionContext): GroupSpec {
  const failback = /^automatic-after\s+(\S+)$/.exec(raw.failback);
  const role: ProbeSpec = probeSpec(raw.role, ctx.baseDir);
  return {
    name: raw.name,
    nodes: raw.nodes.map((n) => ({
      name: n.name,
      host: n.host,
      priority: n.priority,
      nofailover: n.nofailover,
      env: n.env,
    })),
    initialPrimary: raw.primary ?? null,
    observers: raw.observers ?? [...new Set(raw.nodes.map((n) => n.host))],
    health: raw.health.map((p) => probeSpec(p, ctx.baseDir)),
    role,
    lag: raw.lag ? commandSpec(raw.lag, ctx.baseDir) : null,
    maximumLag: raw.maximumLag ?? null,
    actions: {
      fence: raw.actions.fence.map((a) => action(a, ctx.baseDir)),
      promote: raw.actions.promote ? action(raw.actions.promote, ctx.baseDir) : null,
      demote: raw.actions.demote ? action(raw.actions.demote, ctx.baseDir) : null,
      repoint: raw.actions.repoint.map((a) => action(a, ctx.baseDir)),
    },
    mode: raw.mode,
    select: raw.select,
    cooldownMs: durationMs(raw.cooldown),
    maxFailovers: { count: raw.maxFailovers.count, windowMs: durationMs(raw.maxFailovers.window) },
    failbackAfterMs: failback ? durationMs(failback[1]!) : null,
    allowUnfencedPromotion: raw.allowUnfencedPromotion,
    verifyTimeoutMs: durationMs(raw.verifyTimeout),
  };
}

function checkGroups(doc: Obj, issues: IssueCollector, ctx: SectionContext): void {
  uniqueNames(doc, 'failover', 'failover group', issues);
  for (const { item, index } of items(doc, 'failover')) {
    const at: PathSegment[] = ['failover', index];
    const nodeNames = new Set<string>();
    for (const { item: n, index: i } of items(item, 'nodes')) {
      if (typeof n.name !== 'string') continue;
      if (nodeNames.has(n.name)) issues.add([...at, 'nodes', i, 'name'], `duplicate node name "${n.name}"`);
      nodeNames.add(n.name);
    }
    for (const { item: n, index: i } of items(item, 'nodes'))
      checkHostRef(n.host, [...at, 'nodes', i, 'host'], ctx.hostNames, issues);
    if (Array.isArray(item.observers))
      item.observers.forEach((h, i) => checkHostRef(h, [...at, 'observers', i], ctx.hostNames, issues));
    if (typeof item.primary === 'string' && !nodeNames.has(item.primary))
      issues.add(
        [...at, 'primary'],
        `no node "${item.primary}" in this group (nodes: ${[...nodeNames].join(', ')})`,
      );
    checkProbes(item.health, [...at, 'health'], issues);
    if (isObj(item.actions)) {
      for (const k of ['fence', 'repoint'] as const) {
        const list = item.actions[k];
        if (Array.isArray(list))
          list.forEach((a, i) => {
            if (isObj(a))
              checkHostRef(a.host ?? undefined, [...at, 'actions', k, i, 'host'], ctx.hostNames, issues);
          });
      }
      for (const k of ['promote', 'demote'] as const) {
        const a = item.actions[k];
        if (isObj(a) && a.host !== undefined)
          checkHostRef(a.host, [...at, 'actions', k, 'host'], ctx.hostNames, issues);
      }
    }
    if (typeof item.failback === 'string') {
      const m = /^automatic-after\s+(\S+)$/.exec(item.failback);
      if (m) {
        try {
          durationMs(m[1]!);
        } catch (err) {
          issues.add([...at, 'failback'], (err as Error).message);
        }
      }
    }
    if (item.maximumLag !== undefined && item.lag === undefined)
      issues.add([...at, 'maximumLag'], 'maximumLag needs a lag probe (lag: { argv: [...] })');
  }
}

export const failoverSection: ConfigSection<RawGroup[], GroupSpec[]> = {
  key: 'failover',
  schema: z.array(groupSchema).default([]),
  rules: checkGroups,
  normalise: (raw, ctx) => raw.map((g) => group(g, ctx)),
  summary: (groups) =>
    groups.length
      ? `${groups.length} failover group(s): ${groups.map((g) => `${g.name} (${g.nodes.length} nodes, ${g.mode})`).join(', ')}`
      : undefined,
};
