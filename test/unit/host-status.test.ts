// What a host's status is made of: the state its monitor kept at its last change (memo) and
// the host's report in the latest snapshot run, applied as the monitor applies every report.
import { applyReport, initialMonitorState } from '../../src/health/model/monitor-state';
import type { HostReport, MonitorState } from '../../src/health/model/types';
import { healthReport, reportAt } from '../helpers/health';
import { hostStatusOf } from '../../src/health/status';

const at = reportAt;
const ok = (s: number): HostReport => healthReport('alpha', s, true);
const bad = (s: number, error = 'no answer'): HostReport => healthReport('alpha', s, false, error);

/** The state a monitor holds after these reports. */
function after(...reports: HostReport[]): MonitorState {
  const s = initialMonitorState('alpha');
  for (const r of reports) applyReport(s, r);
  return s;
}

describe('applyReport (the monitor)', () => {
  it.each([
    ['first ok: up since it', [ok(1)], { state: 'up', since: at(1), lastSnapshotAt: at(1), lastError: null }],
    ['ok, ok: up since the first', [ok(1), ok(2)], { state: 'up', since: at(1), lastSnapshotAt: at(2) }],
    [
      'ok, failed: down since the failure, the last good snapshot kept',
      [ok(1), bad(2)],
      { state: 'down', since: at(2), lastSnapshotAt: at(1), lastError: 'no answer', lastReportAt: at(2) },
    ],
    [
      'down, failed again: since unchanged, the newest error',
      [ok(1), bad(2), bad(3, 'refused')],
      { state: 'down', since: at(2), lastError: 'refused', lastReportAt: at(3) },
    ],
    ['down, ok: up since it, no error', [bad(1), ok(2)], { state: 'up', since: at(2), lastError: null }],
  ] as const)('%s', (_name, reports, want) => {
    expect(after(...reports)).toMatchObject(want);
  });

  it('says whether the host went up or down', () => {
    const s = after();
    expect([ok(1), ok(2), bad(3), bad(4), ok(5)].map((r) => applyReport(s, r))).toEqual([
      true,
      false,
      true,
      false,
      true,
    ]);
  });
});

describe('hostStatusOf (hactl status)', () => {
  const now = Date.parse(at(40));
  it.each([
    [
      'no newer report: the kept state as it is',
      after(ok(1)),
      undefined,
      { state: 'up', since: at(1), snapshotAt: at(1), ageSeconds: 39, error: null },
    ],
    [
      'a newer ok report: its snapshot, still up since the change',
      after(ok(1)),
      ok(30),
      { state: 'up', since: at(1), snapshotAt: at(30), ageSeconds: 10, lastReportAt: at(30) },
    ],
    [
      'a newer failed report the memo does not show yet: down since it, the last good snapshot',
      after(ok(1)),
      bad(30),
      { state: 'down', since: at(30), snapshotAt: at(1), error: 'no answer' },
    ],
    [
      'down, and the latest run failed too: the newest error',
      after(ok(1), bad(2)),
      bad(30, 'refused'),
      { state: 'down', since: at(2), error: 'refused' },
    ],
    [
      'a report older than the kept state (a run by hand came after): the kept state',
      after(ok(1), bad(35)),
      ok(30),
      { state: 'down', since: at(35), snapshotAt: at(1), error: 'no answer' },
    ],
  ] as const)('%s', (_name, kept, latest, want) => {
    const copy = structuredClone(kept);
    expect(hostStatusOf('alpha', kept, latest, now)).toMatchObject(want);
    expect(kept).toEqual(copy); // the kept state is not changed
  });
});
