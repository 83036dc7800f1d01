// Events addressed to a receiver (label ha_receiver) go to it before any configured route; other
// alerts and events are routed as configured. How a DR plan reaches its contacts.
import { addressedRoutes } from '../../src/alerts/desired';
import { routesFor } from '../../src/alerts/model/dispatch';
import type { DispatchConfig } from '../../src/alerts/model/dispatch';
import { ADDRESSED_LABEL } from '../../src/core/events';

const route = (receiver: string, matchers: DispatchConfig['routes'][number]['matchers'] = []) => ({
  matchers,
  receiver,
  groupBy: ['alertname'],
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 14_400_000,
  continue: false,
});
const cfg = {
  routes: [
    ...addressedRoutes([{ name: 'ann-pager' }, { name: 'ops' }]),
    route('ops', [{ name: 'severity', op: '=', value: 'critical' }]),
  ],
  defaultRoute: route('ops'),
} as unknown as DispatchConfig;

describe('addressed events', () => {
  it.each([
    [{ alertname: 'DrApprovalRequested', [ADDRESSED_LABEL]: 'ann-pager' }, ['ann-pager'], 0],
    [{ alertname: 'DrApprovalRequested', severity: 'critical', [ADDRESSED_LABEL]: 'ops' }, ['ops'], 0],
    [{ alertname: 'HostDown', severity: 'critical' }, ['ops'], 30_000],
    [{ alertname: 'Other' }, ['ops'], 30_000],
  ])('%j goes to %j', (labels, receivers, wait) => {
    const r = routesFor(cfg, labels);
    expect(r.map((x) => x.route.receiver)).toEqual(receivers);
    expect(r[0]!.route.groupWaitMs).toBe(wait);
  });
});
