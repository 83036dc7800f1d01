// Failover's part of `hactl status`: each group's state, primary and nodes, from the views the
// controllers keep in their memos (one listing).
import type { StatusSection } from '../platform/capability';
import { sharedViews, viewsOf } from '../platform/status';
import { groupState } from './client';
import { FAILOVER_IDS, FAILOVER_KIND } from './model/ids';
import { renderFailoverStatus } from './cli/render';
import type { FailoverSection } from './desired';
import type { GroupView } from './model/types';
import { failoverMetrics } from './metrics';

export const failoverStatusSection: StatusSection<FailoverSection, GroupView[] | null> = {
  key: 'failover',
  prefetch(client, ctx) {
    void sharedViews(client, ctx, FAILOVER_KIND.controller, FAILOVER_IDS.controller('')).catch(
      () => undefined,
    );
  },
  async collect(client, config, _now, ctx) {
    if (config && !config.failover?.length) return null;
    try {
      return await client.connection.withDeadline(Date.now() + 5_000, () =>
        viewsOf(
          client,
          ctx,
          FAILOVER_KIND.controller,
          FAILOVER_IDS.controller(''),
          config?.failover.map((g) => g.name),
          (name) => groupState(client, name),
        ),
      );
    } catch {
      return null;
    }
  },
  render: renderFailoverStatus,
  metrics: failoverMetrics,
};
