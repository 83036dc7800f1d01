// The platform's entry points bound to every capability in the registry: the config loader,
// the desired state, the reconciler's plan and apply, `hactl status` and the failure lists.
import type { Client } from '@temporalio/client';
import { CAPABILITIES } from '../registry';
import type { HaConfig } from '../registry';
import type { StatusContext, StatusSection } from './capability';
import type { ConfigSection } from './config/load';
import { encryptionSection } from './temporal/codec-config';
import { DEFAULT_CONFIG_PATH, loadConfigWith, parseConfigWith } from './config/load';
import type { ApplyResult, OwnedObjects } from './reconcile/apply';
import { applyDesired } from './reconcile/apply';
import type { Desired } from './reconcile/desired';
import type { Observed, Plan } from './reconcile/plan';
import { computePlan as computePlanFor, isOwnedId as isOwnedBy } from './reconcile/plan';
import type { StatusReport } from './status';
import { collectStatusOf, statusContext } from './status';

export { statusContext };

export type { HaConfig };

function sections(): ConfigSection[] {
  const platform = [encryptionSection as ConfigSection];
  return platform.concat(
    ...CAPABILITIES.map((c) => {
      const s = c.load().config;
      return s === undefined
        ? []
        : Array.isArray(s)
          ? [...(s as readonly ConfigSection[])]
          : [s as ConfigSection];
    }),
  );
}

/** Reads and validates a config file. Throws ConfigError listing every mistake. */
export function loadConfig(file: string = DEFAULT_CONFIG_PATH): HaConfig {
  return loadConfigWith(sections(), file) as unknown as HaConfig;
}

/** Validates config text; `label` is the file name used in error lines. */
export function parseConfig(text: string, label: string): HaConfig {
  return parseConfigWith(sections(), text, label) as unknown as HaConfig;
}

/** One line about a valid config: its hosts and each section's summary. */
export function summariseConfig(file: string, config: HaConfig): string {
  const parts = [`${config.hosts.length} host(s): ${config.hosts.map((h) => h.name).join(', ')}`];
  for (const s of sections()) {
    const said = s.summary?.((config as unknown as Record<string, unknown>)[s.key]);
    if (said) parts.push(said);
  }
  return `${file}: ok (${parts.join('; ')})`;
}

/** Every Schedule and controller the config asks for, capability by capability. */
export function desiredState(config: HaConfig): Desired[] {
  return CAPABILITIES.flatMap((c) => c.load().desired?.(config) ?? []);
}

/** What the reconciler owns: ID prefixes and controller kinds of every capability. */
export const OWNED: OwnedObjects = {
  idPrefixes: CAPABILITIES.flatMap((c) => c.ownedIdPrefixes),
  controllerKinds: CAPABILITIES.flatMap((c) => c.controllerKinds),
};

export function isOwnedId(id: string): boolean {
  return isOwnedBy(id, OWNED.idPrefixes);
}

export function computePlan(desired: readonly Desired[], observed: readonly Observed[]): Plan {
  return computePlanFor(desired, observed, OWNED.idPrefixes);
}

/** Reconciles the config into Schedules and controllers (see `hactl apply`). */
export async function applyConfig(
  client: Client,
  config: HaConfig,
  opts: { dryRun?: boolean; onWait?: (line: string) => void } = {},
): Promise<ApplyResult> {
  return applyDesired(client, config, desiredState(config), OWNED, opts);
}

/** Every capability's part of `hactl status`, in registry order. */
export function statusSections(): StatusSection[] {
  return CAPABILITIES.flatMap((c) => {
    const s = c.load().status;
    return s ? [s] : [];
  });
}

/** `hactl status`: every capability's section, and the schedules. */
export async function collectStatus(
  client: Client,
  config?: HaConfig,
  now = Date.now(),
  ctx?: StatusContext,
): Promise<StatusReport> {
  return collectStatusOf(
    client,
    statusSections(),
    config,
    config ? desiredState(config) : undefined,
    now,
    ctx,
  );
}

/** Failure types of workflows that mean bad input (exit 2), from every capability. */
export const BAD_INPUT_FAILURES: readonly string[] = CAPABILITIES.flatMap((c) => c.failures.badInput);
/** Failure types that retrying cannot fix, from every capability: the CLI says so. */
export const NON_RETRYABLE_FAILURES: readonly string[] = CAPABILITIES.flatMap((c) => c.failures.nonRetryable);
