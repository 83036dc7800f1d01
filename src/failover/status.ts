// Failover's part of `hactl status`: each group's state, primary and nodes.
import type { StatusSection } from '../platform/capability';
import { listGroups } from './client';
import { renderFailoverStatus } from './cli/render';
import type { FailoverSection } from './desired';
import type { GroupView } from './model/types';
import { failoverMetrics } from './metrics';

export const failoverStatusSection: StatusSection<FailoverSection, GroupView[] | null> = {
  key: 'failover',
  async collect(client, config) {
    if (config && !config.failover?.length) return null;
    try {
      return await client.connection.withDeadline(Date.now() + 5_000, () =>
        listGroups(client, config ? config.failover.map((g) => g.name) : undefined),
      );
    } catch {
      return null;
    }
  },
  render: renderFailoverStatus,
  metrics: failoverMetrics,
};
