// Services' part of `hactl status`: each service's health and where its instances run.
import type { StatusSection } from '../platform/capability';
import { listServices } from './client';
import { renderServicesStatus } from './cli/render';
import type { RedundancySection } from './desired';
import type { ServiceView } from './model/types';
import { redundancyMetrics } from './metrics';

export const redundancyStatusSection: StatusSection<RedundancySection, ServiceView[] | null> = {
  key: 'services',
  async collect(client, config) {
    if (config && !config.services?.length) return null;
    try {
      return await client.connection.withDeadline(Date.now() + 5_000, () =>
        listServices(client, config ? config.services.map((s) => s.spec.name) : undefined),
      );
    } catch {
      return null; // not applied yet on this server, or no worker answers the query
    }
  },
  render: renderServicesStatus,
  metrics: redundancyMetrics,
};
