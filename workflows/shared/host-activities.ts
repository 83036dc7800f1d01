// Proxies for activities that run on one host's queue, with the defaults every host-bound step
// shares. One place for them, so that a new step cannot forget the schedule-to-start limit.
import { proxyActivities } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ActivityInterfaceFor, ActivityOptions } from '@temporalio/workflow';
import { hostTaskQueue } from '../../src/core/names';

export interface HostStepOptions {
  startToCloseTimeout: Duration;
  heartbeatTimeout?: Duration;
  /** A host whose worker is down fails the step after this long instead of waiting forever. */
  scheduleToStartTimeout?: Duration;
  retry: ActivityOptions['retry'];
  cancellationType?: ActivityOptions['cancellationType'];
}

/** `A` is the capability's activity type (a type-only import of its factory's result). */
export function hostActivities<A extends object>(host: string, o: HostStepOptions): ActivityInterfaceFor<A> {
  return proxyActivities<A>({
    taskQueue: hostTaskQueue(host),
    scheduleToStartTimeout: o.scheduleToStartTimeout ?? '10 minutes',
    startToCloseTimeout: o.startToCloseTimeout,
    ...(o.heartbeatTimeout !== undefined ? { heartbeatTimeout: o.heartbeatTimeout } : {}),
    retry: o.retry,
    ...(o.cancellationType !== undefined ? { cancellationType: o.cancellationType } : {}),
  });
}

/** Long steps (archive, restore, verify): they heartbeat, and are retried from scratch. */
export function longHostActivities<A extends object>(
  host: string,
  o: {
    heartbeatTimeout: Duration;
    maximumAttempts: number;
    maximumInterval?: Duration;
    nonRetryableErrorTypes?: readonly string[];
  },
): ActivityInterfaceFor<A> {
  return hostActivities<A>(host, {
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: o.heartbeatTimeout,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumAttempts: o.maximumAttempts,
      ...(o.maximumInterval !== undefined ? { maximumInterval: o.maximumInterval } : {}),
      ...(o.nonRetryableErrorTypes ? { nonRetryableErrorTypes: [...o.nonRetryableErrorTypes] } : {}),
    },
  });
}
