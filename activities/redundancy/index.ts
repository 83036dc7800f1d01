// Redundancy activities: on each host, the probe watch of an instance and its start and stop
// through the configured commands; on any worker, the hosts' loads for placement.
import { Context } from '@temporalio/activity';
import type { HostActivityDeps, ActivityModule } from '../../src/platform/capability';
import type { HostLoad, WatchResult } from '../../src/redundancy/model/types';
import { WATCH_HEARTBEAT_MS } from '../../src/core/probe';
import { cancellationSignal, noteProgress, withHeartbeats } from '../shared/heartbeat';
import { startInstance, stopInstance, instanceEnv } from './act';
import type { ActInput, StartOutcome } from './act';
import { hostLoads } from '../shared/host-loads';
import { watchInstance } from './watch';
import type { WatchInput } from './watch';

export function createRedundancyHostActivities(deps: HostActivityDeps) {
  const withSignal = () => ({ ...deps, signal: cancellationSignal() });
  return {
    /** Probes until the instance's health changes; null: renew (nothing changed). */
    async serviceWatch(input: WatchInput): Promise<WatchResult | null> {
      return withHeartbeats(
        () =>
          watchInstance(input, {
            host: deps.host,
            env: instanceEnv(deps, input.service, input.instance),
            signal: cancellationSignal(),
            progress: noteProgress,
          }),
        WATCH_HEARTBEAT_MS,
      );
    },
    async serviceStart(input: ActInput): Promise<StartOutcome> {
      return withHeartbeats(() => startInstance(input, withSignal()));
    },
    async serviceStop(input: ActInput): Promise<{ detail: string }> {
      return withHeartbeats(() => stopInstance(input, withSignal()));
    },
    /** Stop, then start: a hung process is not "already running". */
    async serviceRestart(input: ActInput): Promise<StartOutcome> {
      return withHeartbeats(async () => {
        await stopInstance(input, withSignal());
        return startInstance(input, withSignal());
      });
    },
  };
}

export function createRedundancySharedActivities() {
  return {
    async serviceHostLoads(input: { hosts: string[]; maintenance: string[] }): Promise<HostLoad[]> {
      return hostLoads(Context.current().client, input.hosts, input.maintenance);
    },
  };
}

export type RedundancyActivities = ReturnType<typeof createRedundancyHostActivities> &
  ReturnType<typeof createRedundancySharedActivities>;

export const activityModule: ActivityModule = {
  host: (deps) => ({ activities: createRedundancyHostActivities(deps) }),
  shared: () => createRedundancySharedActivities(),
};
