// Failover activities: on each observer, the watch of a node (health, role, lag); on the hosts
// the actions name, fence, promote, demote, repoint and the verification; on any worker, the
// hosts' loads for `select: least-loaded`.
import { Context } from '@temporalio/activity';
import type { ProbeSpec } from '../../src/core/probe';
import type { HostLoad } from '../../src/health/model/types';
import type { ActionSpec, Observation } from '../../src/failover/model/types';
import type { ActivityModule, HostActivityDeps } from '../../src/platform/capability';
import { WATCH_HEARTBEAT_MS } from '../../src/core/probe';
import { cancellationSignal, noteProgress, withHeartbeats } from '../shared/heartbeat';
import { hostLoads } from '../shared/host-loads';
import { promote, runAction, verifyPrimary } from './act';
import { observeNode } from './observe';
import type { ObserveInput } from './observe';

/** Variables of the node concerned (and the group's), for ${...} and the commands' environment. */
export interface NodeEnv {
  vars: Record<string, string>;
}

export function createFailoverHostActivities(deps: HostActivityDeps) {
  const env = (e: NodeEnv): NodeJS.ProcessEnv => ({ ...deps.env, ...e.vars });
  return {
    async failoverObserve(input: ObserveInput & NodeEnv): Promise<Observation | null> {
      return withHeartbeats(
        () =>
          observeNode(input, {
            host: deps.host,
            env: env(input),
            signal: cancellationSignal(),
            progress: noteProgress,
          }),
        WATCH_HEARTBEAT_MS,
      );
    },
    async failoverAction(input: { what: string; action: ActionSpec } & NodeEnv) {
      return withHeartbeats(() =>
        runAction(input.what, input.action, {
          host: deps.host,
          env: env(input),
          signal: cancellationSignal(),
        }),
      );
    },
    async failoverPromote(input: { role: ProbeSpec; promote: ActionSpec | null } & NodeEnv) {
      return withHeartbeats(() =>
        promote(input.role, input.promote, {
          host: deps.host,
          env: env(input),
          signal: cancellationSignal(),
        }),
      );
    },
    async failoverVerify(input: { role: ProbeSpec; timeoutMs: number } & NodeEnv) {
      return withHeartbeats(() =>
        verifyPrimary(input.role, input.timeoutMs, {
          host: deps.host,
          env: env(input),
          signal: cancellationSignal(),
        }),
      );
    },
  };
}

export function createFailoverSharedActivities() {
  return {
    async failoverHostLoads(input: { hosts: string[] }): Promise<HostLoad[]> {
      return hostLoads(Context.current().client, input.hosts, []);
    },
  };
}

export type FailoverActivities = ReturnType<typeof createFailoverHostActivities> &
  ReturnType<typeof createFailoverSharedActivities>;

export const activityModule: ActivityModule = {
  host: (deps) => ({ activities: createFailoverHostActivities(deps) }),
  shared: () => createFailoverSharedActivities(),
};
