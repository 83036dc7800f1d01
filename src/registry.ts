// The capabilities, in one list. Everything that serves every capability — the config loader,
// the reconciler, `hactl status`, the worker, the CLI, exit codes — loops over this list.
// Adding a capability: its three folders (src/, workflows/, activities/) and one entry here.
// See CONTRIBUTING.md.
import { alerts } from './alerts';
import { backup } from './backup';
import { dr } from './dr';
import { failover } from './failover';
import { health } from './health';
import { redundancy } from './redundancy';
import type { Capability } from './platform/capability';
import type { BaseConfig } from './platform/config/load';

export const CAPABILITIES = [health, backup, alerts, redundancy, failover, dr] as const;

type SectionOf<T> = T extends Capability<infer C> ? C : never;
type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** A validated config: the base (version, hosts, file) and every capability's section. */
export type HaConfig = BaseConfig & Intersect<SectionOf<(typeof CAPABILITIES)[number]>>;
