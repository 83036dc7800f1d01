// Failover's part of `hactl status`: each group's state, primary and nodes.
import type { StatusSection } from '../platform/capability';
import { groupNames, groupState } from './client';
import { controllerReads } from '../platform/status-reads';
import { renderFailoverStatus } from './cli/render';
import type { FailoverSection } from './desired';
import type { GroupView } from './model/types';
import { failoverMetrics } from './metrics';

const reads = controllerReads('failover-group', groupNames, groupState);

export const failoverStatusSection: StatusSection<FailoverSection, GroupView[] | null> = {
  key: 'failover',
  async collect(client, config, _now, ctx) {
    if (config && !config.failover?.length) return null;
    try {
      return await reads.views(client, ctx, config ? config.failover.map((g) => g.name) : undefined);
    } catch {
      return null;
    }
  },
  prefetch: reads.prefetch,
  render: renderFailoverStatus,
  metrics: failoverMetrics,
};
