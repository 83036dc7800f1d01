// Services' part of `hactl status`: each service's health and where its instances run.
import type { StatusSection } from '../platform/capability';
import { serviceNames, serviceState } from './client';
import { controllerReads } from '../platform/status-reads';
import { renderServicesStatus } from './cli/render';
import type { RedundancySection } from './desired';
import type { ServiceView } from './model/types';
import { redundancyMetrics } from './metrics';

const reads = controllerReads('service', serviceNames, serviceState);

export const redundancyStatusSection: StatusSection<RedundancySection, ServiceView[] | null> = {
  key: 'services',
  async collect(client, config, _now, ctx) {
    if (config && !config.services?.length) return null;
    try {
      return await reads.views(client, ctx, config ? config.services.map((s) => s.spec.name) : undefined);
    } catch {
      return null; // not applied yet on this server, or no worker answers the query
    }
  },
  prefetch: reads.prefetch,
  render: renderServicesStatus,
  metrics: redundancyMetrics,
};
