// Services' part of `hactl status`: each service's health and where its instances run, from
// the views the controllers keep in their memos (one listing).
import type { StatusSection } from '../platform/capability';
import { sharedViews, viewsOf } from '../platform/status';
import { serviceState } from './client';
import { REDUNDANCY_IDS, REDUNDANCY_KIND } from './model/ids';
import { renderServicesStatus } from './cli/render';
import type { RedundancySection } from './desired';
import type { ServiceView } from './model/types';
import { redundancyMetrics } from './metrics';

export const redundancyStatusSection: StatusSection<RedundancySection, ServiceView[] | null> = {
  key: 'services',
  prefetch(client, ctx) {
    void sharedViews(client, ctx, REDUNDANCY_KIND.controller, REDUNDANCY_IDS.controller('')).catch(
      () => undefined,
    );
  },
  async collect(client, config, _now, ctx) {
    if (config && !config.services?.length) return null;
    try {
      return await client.connection.withDeadline(Date.now() + 5_000, () =>
        viewsOf(
          client,
          ctx,
          REDUNDANCY_KIND.controller,
          REDUNDANCY_IDS.controller(''),
          config?.services.map((s) => s.spec.name),
          (name) => serviceState(client, name),
        ),
      );
    } catch {
      return null; // not applied yet on this server, or an older controller no worker answers for
    }
  },
  render: renderServicesStatus,
  metrics: redundancyMetrics,
};
