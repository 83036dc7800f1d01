// What hactl services, hactl service history and the services part of hactl status print.
import { renderHistory, renderServices, renderServicesStatus } from '../../src/redundancy/cli/render';
import type { Instance, ServiceView } from '../../src/redundancy/model/types';

const NOW = Date.UTC(2026, 10, 27, 12);
const inst = (id: string, host: string, extra: Partial<Instance> = {}): Instance => ({
  id,
  host,
  state: 'healthy',
  since: new Date(NOW - 90_000).toISOString(),
  restarts: [],
  restartsTotal: 0,
  failures: 0,
  failingSince: null,
  notBefore: null,
  generation: 1,
  lastReason: 'http http://127.0.0.1:8080/health passed 1 time(s)',
  ...extra,
});
const view = (extra: Partial<ServiceView> = {}): ServiceView => ({
  service: 'web',
  health: 'degraded',
  paused: false,
  desired: 2,
  scaledTo: null,
  minInstances: 2,
  maxInstances: 2,
  healthy: 1,
  instances: [
    inst('web-1', 'alpha'),
    inst('web-2', 'beta', { state: 'unhealthy', restartsTotal: 3, lastReason: 'start refused: disk full' }),
  ],
  orphans: [],
  lastReason: 'beta: start refused: disk full',
  ...extra,
});

describe('services renders', () => {
  it('a block per service: the summary, the instances, what was left behind, the last reason', () => {
    expect(
      renderServices(
        [view({ orphans: [{ instance: 'web-3', host: 'gamma', since: '2026-11-27T11:00:00.000Z' }] })],
        NOW,
      ),
    ).toEqual([
      'web: degraded, 1/2 healthy',
      '  INSTANCE  HOST   STATE      SINCE      RESTARTS  LAST REASON',
      '  web-1     alpha  healthy    1m30s ago  0         http http://127.0.0.1:8080/health passed 1 time(s)',
      '  web-2     beta   unhealthy  1m30s ago  3         start refused: disk full',
      '  left behind: web-3 on gamma since 2026-11-27T11:00:00.000Z (stopped when its worker is back)',
      '  last: beta: start refused: disk full',
    ]);
  });

  it('says when scaled or paused, and when there are no services', () => {
    const lines = renderServices([view({ scaledTo: 3, desired: 3, paused: true, instances: [] })], NOW);
    expect(lines[0]).toBe(
      'web: degraded, 1/3 healthy (scaled from 2 until the next apply) — paused: no actions',
    );
    expect(renderServices([], NOW)).toEqual([
      'No services (add them under "services:" in the config and run hactl apply).',
    ]);
  });

  it('history, and the status section (nothing without services)', () => {
    expect(
      renderHistory('web', [
        {
          at: '2026-11-27T11:00:00.000Z',
          what: 'restart',
          instance: 'web-2',
          host: 'beta',
          reason: 'beta: x; restart 1 of 3 within 10m',
        },
        {
          at: '2026-11-27T11:00:05.000Z',
          what: 'paused',
          instance: null,
          host: null,
          reason: 'ann paused the service',
        },
      ]),
    ).toEqual([
      'TIME                      WHAT     INSTANCE  HOST  REASON',
      '2026-11-27T11:00:00.000Z  restart  web-2     beta  beta: x; restart 1 of 3 within 10m',
      '2026-11-27T11:00:05.000Z  paused   -         -     ann paused the service',
    ]);
    expect(renderHistory('web', [])).toEqual(['No history for web yet.']);
    expect(renderServicesStatus([view()])).toEqual([
      'SERVICE  HEALTH    HEALTHY  INSTANCES                     LAST',
      'web      degraded  1/2      alpha:healthy beta:unhealthy  beta: start refused: disk full',
    ]);
    expect(renderServicesStatus(null)).toEqual([]);
    expect(renderServicesStatus([])).toEqual([]);
  });
});
