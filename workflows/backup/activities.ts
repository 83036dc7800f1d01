// Activity proxies of the backup capability: its host-bound activities, with its list of
// failure types that retrying cannot fix added to every retry policy.
import type { Duration } from '@temporalio/common';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { BackupActivities } from '../../activities/backup';
import { BACKUP_NON_RETRYABLE } from '../../src/backup/model/failures';
import { hostActivities as proxyHost, longHostActivities as proxyLong } from '../shared/host-activities';
import type { HostStepOptions } from '../shared/host-activities';

export function hostActivities(host: string, o: HostStepOptions): ActivityInterfaceFor<BackupActivities> {
  return proxyHost<BackupActivities>(host, {
    ...o,
    retry: { ...o.retry, nonRetryableErrorTypes: [...BACKUP_NON_RETRYABLE] },
  });
}

export function longHostActivities(
  host: string,
  o: { heartbeatTimeout: Duration; maximumAttempts: number; maximumInterval?: Duration },
): ActivityInterfaceFor<BackupActivities> {
  return proxyLong<BackupActivities>(host, { ...o, nonRetryableErrorTypes: BACKUP_NON_RETRYABLE });
}
