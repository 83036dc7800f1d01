// hostMonitorWorkflow across an upgrade: `hactl apply` leaves a running monitor alone, so a run
// that the previous release started carries on under the current code, which must replay its
// history without a nondeterminism error.
//
// The fixture (test/fixtures/histories/host-monitor.f3795aa.json) is the history of an open run
// of the previous release (commit f3795aa), fetched while the run was still running:
//   git worktree add /tmp/old-wt f3795aa   # then compile it, with this checkout's node_modules
//   temporal server start-dev --headless --search-attribute HaKind=Keyword (HaTarget, HaState,
//     HaHost likewise)
//   node: a Worker on queue ha-orchestrator with the old dist/workflows/index.js; start
//     hostMonitorWorkflow as monitor:alpha with { host: 'alpha' } (memo and search attributes as
//     the old apply sets them); signal hostReport ok, ok, then reconfigure, then hostReport
//     failed (timeout), ok, waiting on the `state` query after each report; once it shows 4
//     reports and the last workflow task completed, fetchHistory() as proto JSON.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { Worker } from '@temporalio/worker';
import { reconfigureSignal } from '../../src/core/controller';
import type { HostReport } from '../../src/health/model/types';
import { hostReportSignal } from '../../workflows/health/messages';
import { readState, ROOT } from '../setup/shared';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'histories', 'host-monitor.f3795aa.json');

/**
 * The JSON history as a proto History. Worker.runReplayHistory would do this itself with
 * historyFromJSON, but that fails ("type must be a Type") when npm installs separate protobufjs
 * copies under @temporalio/common and @temporalio/proto, as it does here; so the JSON is read
 * with the protojson of the copy that @temporalio/proto's types belong to.
 */
function loadHistory(file: string): History {
  const { fromJson } = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as {
    fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): History | null;
  };
  const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
  const history = fromJson(
    root.lookupType('temporal.api.history.v1.History'),
    JSON.parse(readFileSync(file, 'utf8')),
    {
      ignoreUnknownFields: true,
    },
  );
  if (!history) throw new Error(`${file} is not a history`);
  return history;
}

function signals(history: History, name: string): proto.temporal.api.history.v1.IHistoryEvent[] {
  return (history.events ?? []).filter(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === name,
  );
}

describe('hostMonitorWorkflow replay (previous release)', () => {
  const history = loadHistory(FIXTURE);

  it('the fixture is an open run of the previous release with 4 reports and a reconfigure', () => {
    const events = history.events ?? [];
    expect(events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe(
      'hostMonitorWorkflow',
    );
    // Still running: no close event, the last workflow task completed.
    const last = events.at(-1);
    expect(last?.workflowExecutionCompletedEventAttributes).toBeFalsy();
    expect(last?.workflowExecutionTerminatedEventAttributes).toBeFalsy();
    expect(last?.workflowExecutionContinuedAsNewEventAttributes).toBeFalsy();
    const reports = signals(history, hostReportSignal.name).map((e) =>
      defaultPayloadConverter.fromPayload<HostReport>(
        e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!,
      ),
    );
    expect(reports).toHaveLength(4);
    expect(reports.map((r) => r.ok)).toEqual([true, true, false, true]);
    expect(reports[2]).toMatchObject({ host: 'alpha', ok: false, reason: 'timeout', error: 'x' });
    expect(signals(history, reconfigureSignal.name)).toHaveLength(1);
  });

  it('replays without nondeterminism under the current workflow bundle', async () => {
    // Rejects with a DeterminismViolationError if the current code diverges from the history.
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: readState().workflowBundle } },
        history,
        'monitor:alpha',
      ),
    ).resolves.toBeUndefined();
  });
});
