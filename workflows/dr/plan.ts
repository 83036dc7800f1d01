// dr:<plan>:<run> — one execution of a DR plan: preconditions first, then the groups in order
// with the steps of a group in parallel, each step retried, timed and recorded; people approve,
// reject, skip, retry, pause and abort through updates (or the same signals); an abort cancels
// what runs and undoes what completed, newest first; a drill removes everything it created.
// The report (src/dr/model/report.ts) measures RTO and RPO against the plan's targets.
// Over 400 lines on purpose: the step runner, approvals, abort with compensation, drill cleanup
// and the handlers all work on the one state of the run, which closures over it keep together.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';

import { innermostCause } from '../../src/core/errors';
import { ADDRESSED_LABEL } from '../../src/core/events';
import { hostTaskQueue } from '../../src/core/names';
import { SA_KEYS } from '../../src/core/search-attributes';
import { parseRunId } from '../../src/dr/model/ids';
import { buildReport, formatMs } from '../../src/dr/model/report';
import type { RunReport } from '../../src/dr/model/report';
import {
  checkDecision,
  DECISION_VERBS,
  resolvePeople,
  runDeciders,
  targetStep,
} from '../../src/dr/model/requests';
import type { DecisionRequest, DecisionVerb } from '../../src/dr/model/requests';
import { defaultStepTimeoutMs } from '../../src/dr/model/steps';
import type { Decision, DrRunInput, RunView, StepAction, StepSpec, StepView } from '../../src/dr/model/types';
import type { DrActivities, StepOutcome } from '../../activities/dr';
import { reportEvent } from '../shared/events';
import { decisionSignals, decisionUpdates, reportQuery, runQuery } from './messages';

const HEARTBEAT = '10 seconds';
const MAX_LOG = 500;

type Undo =
  { kind: 'scratch'; host: string; key: string } | { kind: 'switchback'; group: string; to: string };

export async function drPlanWorkflow(input: DrRunInput): Promise<RunReport> {
  const info = workflowInfo();
  const plan = input.plan;
  const runName = parseRunId(info.workflowId)?.run ?? info.runId;
  const startedAt = new Date(Date.now()).toISOString();
  const scratchKey = info.workflowId.replace(/[^A-Za-z0-9._-]/g, '_');
  const who = `dr:${plan.name}:${runName}`;

  const stepView = (name: string, group: string, spec: StepSpec | null): StepView => ({
    name,
    group,
    type: spec ? spec.action.type : 'preconditions',
    state: 'not-started',
    attempts: 0,
    startedAt: null,
    endedAt: null,
    targetMs: spec?.targetMs ?? null,
    critical: spec?.critical ?? false,
    detail: '',
    output: '',
    decisions: [],
    approval: null,
    asking: false,
    compensation: null,
    backupAt: null,
    drill: null,
  });
  const view: RunView = {
    plan: plan.name,
    run: runName,
    workflowId: info.workflowId,
    drill: input.drill,
    startedBy: input.startedBy,
    startedAt,
    incidentAt: input.incidentAt ?? startedAt,
    endedAt: null,
    phase: 'preconditions',
    paused: false,
    steps: [
      stepView('preconditions', 'preconditions', null),
      ...plan.groups.flatMap((g) => g.steps.map((s) => stepView(s.name, g.name, s))),
    ],
    log: [],
    rtoMs: plan.rtoMs,
    rpoMs: plan.rpoMs,
    cleanup: [],
  };
  const step = (name: string): StepView => view.steps.find((s) => s.name === name)!;
  const now = (): string => new Date(Date.now()).toISOString();
  const note = (text: string): void => {
    view.log.push({ at: now(), text });
    if (view.log.length > MAX_LOG) view.log.splice(0, view.log.length - MAX_LOG);
  };
  /** The two ways to send a decision about a step: hactl, or the stock temporal CLI. */
  const howTo = (name: string, verb: string): [string, string] => [
    `hactl dr ${verb} ${info.workflowId} ${name} --as <you>`,
    `temporal workflow signal --workflow-id ${info.workflowId} --name ${verb} --input '{"step":"${name}","by":"<you>"}'`,
  ];
  /** For whoever looks at the run in the Web UI: which step waits for people, and the commands. */
  const waitingLines = (): string[] =>
    view.endedAt
      ? []
      : view.steps
          .filter((s) => s.state === 'awaiting-approval')
          .flatMap((s) => [
            '',
            s.asking
              ? `**${s.name} failed and waits for retry, skip or abort:** ${s.detail.slice(0, 200)}`
              : `**${s.name} awaits approval** (${s.approval ? `${s.approval.approvedBy.length} of ${s.approval.needed} from ${s.approval.allowed.join(', ')}` : '-'})${s.approval?.question ? `: ${s.approval.question.slice(0, 200)}` : ''}`,
            '',
            ...(s.asking ? ['retry', 'skip', 'abort'] : ['approve', 'reject']).flatMap((v) =>
              howTo(s.name, v).map((c) => `- \`${c}\``),
            ),
          ]);
  const showState = (): void => {
    const active = view.steps.filter((s) =>
      ['executing', 'waiting', 'awaiting-approval', 'compensating'].includes(s.state),
    );
    const state = view.endedAt
      ? view.phase
      : active.length
        ? active
            .map((s) => (s.state === 'awaiting-approval' ? `awaiting-approval:${s.name}` : s.name))
            .join(',')
        : view.phase;
    upsertSearchAttributes([{ key: SA_KEYS.state, value: state.slice(0, 200) }]);
    setCurrentDetails(
      [
        `**${input.drill ? 'DR drill' : 'DR run'} of ${plan.name}** — ${view.phase}${view.paused ? ' (paused)' : ''}`,
        // A blank line before each list: the Web UI's Markdown runs a list on into the line above.
        '',
        ...view.steps.map((s) => `- ${s.name}: ${s.state}${s.detail ? ` — ${s.detail.slice(0, 120)}` : ''}`),
        ...waitingLines(),
      ].join('\n'),
    );
  };

  // ---- notifications: every contact's receivers (or the routes, when no contact has one) ----
  const tell = (
    alertname: string,
    severity: string,
    summary: string,
    extra: Record<string, string> = {},
    to: readonly string[] = plan.contacts.map((c) => c.name),
  ): Promise<unknown> => {
    const receivers = [
      ...new Set(plan.contacts.filter((c) => to.includes(c.name)).flatMap((c) => c.receivers)),
    ];
    const labels = {
      alertname,
      plan: plan.name,
      run: runName,
      severity,
      ...(input.drill ? { drill: 'true' } : {}),
      ...extra,
    };
    const annotations = { summary, workflow: info.workflowId };
    if (!receivers.length) return reportEvent({ labels, annotations });
    return Promise.all(
      receivers.map((r) => reportEvent({ labels: { ...labels, [ADDRESSED_LABEL]: r }, annotations })),
    );
  };
  const answerHow = (name: string, verbs: readonly string[]): string =>
    verbs.map((v) => howTo(name, v).join(' | ')).join('\n');

  // ---- activities ----
  const host = (h: string, timeoutMs: number) =>
    proxyActivities<DrActivities>({
      taskQueue: hostTaskQueue(h),
      scheduleToStartTimeout: '5 minutes',
      startToCloseTimeout: timeoutMs,
      heartbeatTimeout: HEARTBEAT,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: { maximumAttempts: 1 },
    });
  const shared = (timeoutMs: number) =>
    proxyActivities<DrActivities>({
      startToCloseTimeout: timeoutMs,
      heartbeatTimeout: HEARTBEAT,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: { maximumAttempts: 1 },
    });
  const undo: Undo[] = [];
  const setOf = (name: string): DrRunInput['sets'][string] => {
    const set = input.sets[name];
    if (!set)
      throw ApplicationFailure.nonRetryable(`backup set ${name} is not in the run's input`, 'DrStepInvalid');
    return set;
  };

  /** Runs one action once; what it returns goes into the step's view. */
  const execute = async (
    name: string,
    a: StepAction,
    timeoutMs: number,
    drill: boolean,
  ): Promise<StepOutcome> => {
    const where = `step ${name} of ${plan.name}`;
    switch (a.type) {
      case 'command':
        return host(a.host, timeoutMs).drCommand({
          command: a.command,
          where,
          vars: {
            HA_DR_PLAN: plan.name,
            HA_DR_RUN: runName,
            HA_DR_STEP: name,
            HA_DR_DRILL: drill ? '1' : '0',
          },
        });
      case 'http':
        return (a.host ? host(a.host, timeoutMs) : shared(timeoutMs)).drHttp({ http: a.http, where });
      case 'restore': {
        const set = setOf(a.set);
        const h = a.host ?? set.spec.host;
        const o = await host(h, timeoutMs).drRestore({
          set,
          at: a.at,
          to: drill ? null : a.to,
          scratch: drill ? { key: scratchKey, step: name } : null,
          workflowId: info.workflowId,
        });
        if (drill) undo.push({ kind: 'scratch', host: h, key: scratchKey });
        return o;
      }
      case 'backup':
        return shared(timeoutMs).drBackup({ spec: setOf(a.set).spec });
      case 'verify-backup':
        return shared(timeoutMs).drVerifyBackup({
          spec: setOf(a.set).spec,
          maxAgeMs: a.maxAgeMs ?? plan.rpoMs,
        });
      case 'failover': {
        const o = await shared(timeoutMs).drFailover({
          group: a.group,
          to: a.to,
          by: who,
          drill,
          nodes: input.groups[a.group] ?? [],
        });
        if (drill && o.switchedFrom) undo.push({ kind: 'switchback', group: a.group, to: o.switchedFrom });
        return o;
      }
      case 'service':
        return shared(timeoutMs).drService({ ...a, by: who });
      case 'health': {
        const parts: string[] = [];
        if (a.hosts.length) parts.push((await shared(timeoutMs).drHostsUp({ hosts: a.hosts })).detail);
        if (a.probes.length)
          parts.push(
            (await host(a.from!, timeoutMs).drProbes({ probes: a.probes, until: false, where })).detail,
          );
        return { detail: parts.join('; ') };
      }
      case 'wait':
        if (a.until) return host(a.from!, timeoutMs).drProbes({ probes: [a.until], until: true, where });
        await sleep(a.durationMs!);
        return { detail: `waited ${formatMs(a.durationMs!)}` };
      case 'notify':
        await tell('DrNotice', a.severity, a.message, { step: name });
        return { detail: `sent: ${a.message}` };
      case 'approval':
        throw new Error('approval steps do not execute'); // handled by approve()
    }
  };

  // ---- human decisions ----
  let abortReq: Decision | null = null;
  let failedBy: string | null = null;
  const running = new Map<string, CancellationScope>();
  const skipReq = new Set<string>();
  const answers = new Map<string, 'retry' | 'skip'>();
  const rejections = new Map<string, Decision>();
  const decision = (what: Decision['what'], r: DecisionRequest): Decision => ({
    what,
    by: r.by,
    at: now(),
    comment: r.comment ?? '',
  });
  const abortRun = (d: Decision, failed: string | null): void => {
    if (abortReq) return;
    abortReq = d;
    failedBy = failed;
    view.phase = 'aborting';
    note(
      `${failed ? `step ${failed} failed (onFailure: abort)` : `aborted by ${d.by}`}${d.comment ? `: ${d.comment}` : ''}`,
    );
    for (const s of running.values()) s.cancel();
    showState();
  };
  const apply = (verb: DecisionVerb, r: DecisionRequest): string => {
    const d = decision(verb, r);
    switch (verb) {
      case 'pause':
        view.paused = true;
        note(`paused by ${r.by}`);
        break;
      case 'resume':
        view.paused = false;
        note(`resumed by ${r.by}`);
        break;
      case 'abort':
        abortRun(d, null);
        return `aborting ${info.workflowId}: running steps stop, completed steps are undone`;
      default: {
        const t = targetStep(verb, r, view);
        if ('error' in t) throw new Error(t.error);
        const s = t.step;
        s.decisions.push(d);
        note(`${verb} of step ${s.name} by ${r.by}${r.comment ? `: ${r.comment}` : ''}`);
        if (verb === 'approve') s.approval!.approvedBy.push(r.by);
        else if (verb === 'reject') rejections.set(s.name, d);
        else if (verb === 'retry') answers.set(s.name, 'retry');
        else if (s.asking) answers.set(s.name, 'skip');
        else {
          skipReq.add(s.name);
          running.get(s.name)?.cancel();
        }
        showState();
        return `${verb} of step ${s.name} recorded`;
      }
    }
    showState();
    return `${verb} recorded`;
  };
  for (const verb of DECISION_VERBS) {
    const check = (r: DecisionRequest): string | null => checkDecision(verb, r, plan, view);
    setHandler(decisionUpdates[verb], (r) => apply(verb, r), {
      validator: (r) => {
        const why = check(r);
        if (why) throw new Error(why);
      },
    });
    setHandler(decisionSignals[verb], (r) => {
      const why = check(r);
      if (why) {
        note(`refused ${verb} from ${typeof r?.by === 'string' ? r.by : '(nobody)'}: ${why}`);
        log.warn('refused', { verb, error: why });
      } else apply(verb, r);
    });
  }
  setHandler(runQuery, () => view);
  setHandler(reportQuery, () => buildReport(view));

  /** Waits for `needed` approvals; what a timeout does is the step's onTimeout. */
  const approve = async (
    s: StepView,
    spec: StepSpec | null,
  ): Promise<'approved' | 'rejected' | 'aborted' | 'continued'> => {
    const a = spec?.action.type === 'approval' ? spec.action.approvers : null;
    let allowed = a ? resolvePeople(a.names, plan.contacts) : runDeciders(plan);
    const needed = a?.count ?? 1;
    let escalated = false;
    for (;;) {
      s.state = 'awaiting-approval';
      s.approval = {
        allowed,
        needed,
        approvedBy: s.approval?.approvedBy ?? [],
        question: spec?.action.type === 'approval' ? spec.action.question : s.detail,
      };
      showState();
      void tell(
        'DrApprovalRequested',
        'warning',
        `${plan.name}: step ${s.name} awaits approval (${needed} of ${allowed.join(', ')}): ${s.approval.question}\n${answerHow(s.name, ['approve', 'reject'])}`,
        { step: s.name },
        allowed,
      );
      const done = (): boolean =>
        s.approval!.approvedBy.length >= needed || rejections.has(s.name) || abortReq !== null;
      const timeoutMs = a?.timeoutMs ?? null;
      const inTime = timeoutMs === null ? (await condition(done), true) : await condition(done, timeoutMs);
      if (abortReq) return 'aborted';
      if (rejections.has(s.name)) return 'rejected';
      if (inTime) return 'approved';
      if (a!.onTimeout === 'escalate' && !escalated && a!.escalateTo.length) {
        escalated = true;
        allowed = resolvePeople(a!.escalateTo, plan.contacts);
        s.decisions.push({
          what: 'escalate',
          by: 'timer',
          at: now(),
          comment: `no decision within ${formatMs(timeoutMs!)}: asking ${allowed.join(', ')}`,
        });
        note(`step ${s.name}: no decision in time, escalated to ${allowed.join(', ')}`);
        continue;
      }
      const outcome = a!.onTimeout === 'continue' ? 'continued' : 'aborted';
      s.decisions.push({
        what: 'timeout',
        by: 'timer',
        at: now(),
        comment: `no decision within ${formatMs(timeoutMs!)}: ${outcome === 'continued' ? 'continue' : 'abort'}`,
      });
      if (outcome === 'aborted')
        abortRun(
          { what: 'timeout', by: 'timer', at: now(), comment: `approval of ${s.name} timed out` },
          null,
        );
      return outcome;
    }
  };

  const finish = (s: StepView, state: StepView['state'], detail: string): void => {
    s.state = state;
    s.endedAt = now();
    s.detail = detail;
    showState();
  };
  const completedOrder: string[] = [];

  /** One step, to its end: executed with retries, or skipped, approved, asked about, cancelled. */
  const runStep = async (spec: StepSpec): Promise<void> => {
    const s = step(spec.name);
    let action: StepAction = spec.action;
    if (input.drill) {
      if (spec.drill === 'skip') {
        s.drill = 'skipped';
        return finish(s, 'skipped', 'skipped in drills');
      }
      if (spec.drill !== 'run') {
        action = spec.drill;
        s.drill = 'replaced';
      } else s.drill = 'ran';
    }
    await condition(() => !view.paused || abortReq !== null);
    if (abortReq) return;
    if (skipReq.has(s.name)) return finish(s, 'skipped', 'skipped before it started');
    s.startedAt = now();
    if (action.type === 'approval') {
      const r = await approve(s, spec);
      if (r === 'approved' || r === 'continued') {
        completedOrder.push(s.name);
        return finish(
          s,
          'completed',
          r === 'approved'
            ? `approved by ${s.approval!.approvedBy.join(', ')}`
            : 'no decision in time: continued',
        );
      }
      if (r === 'rejected') {
        const d = rejections.get(s.name)!;
        finish(s, 'failed', `rejected by ${d.by}${d.comment ? `: ${d.comment}` : ''}`);
        abortRun(d, s.name);
      } else finish(s, 'cancelled', 'the run was aborted while it awaited approval');
      return;
    }
    const timeoutMs = spec.timeoutMs ?? defaultStepTimeoutMs(action);
    for (let tries = 0; ;) {
      // Between attempts a skip or an abort may have come: no further attempt then.
      if (skipReq.has(s.name)) return finish(s, 'skipped', 'skipped between attempts');
      if (abortReq) return finish(s, 'cancelled', 'stopped by the abort between attempts');
      s.state = 'executing';
      s.attempts++;
      tries++;
      showState();
      const scope = new CancellationScope();
      running.set(s.name, scope);
      try {
        const o = await scope.run(() => execute(s.name, action, timeoutMs, input.drill));
        s.output = o.output ?? '';
        if (o.backupAt) s.backupAt = o.backupAt;
        completedOrder.push(s.name);
        return finish(s, 'completed', o.detail);
      } catch (err) {
        if (skipReq.has(s.name)) return finish(s, 'skipped', 'skipped while it ran: stopped');
        if (abortReq && (isCancellation(err) || scope.consideredCancelled))
          return finish(s, 'cancelled', 'stopped by the abort');
        const tf = err instanceof ActivityFailure && err.cause instanceof TimeoutFailure ? err.cause : null;
        const timedOut = tf?.timeoutType === 'START_TO_CLOSE';
        const why = !tf
          ? message(err)
          : timedOut
            ? `timed out after ${formatMs(timeoutMs)}`
            : tf.timeoutType === 'HEARTBEAT'
              ? 'its worker stopped answering (heartbeat timeout: the worker or its host went away)'
              : `no worker took it in time (${tf.timeoutType ?? 'timeout'}): is the host's worker running?`;
        const tail = (err as { cause?: ApplicationFailure }).cause?.details?.[0];
        if (typeof tail === 'string') s.output = tail;
        note(`step ${s.name} attempt ${s.attempts}: ${why}`);
        if (tries <= spec.retries) {
          s.detail = `attempt ${s.attempts} failed: ${why}; retrying`;
          const backoff = Math.min(30_000, 1000 * 2 ** (tries - 1));
          await condition(() => abortReq !== null || skipReq.has(s.name), backoff);
          continue;
        }
        const state = timedOut ? 'timed-out' : 'failed';
        if (spec.onFailure === 'continue') return finish(s, state, `${why} (onFailure: continue)`);
        if (spec.onFailure === 'abort') {
          finish(s, state, why);
          abortRun(
            { what: 'abort', by: 'plan', at: now(), comment: `step ${s.name} failed: ${why}` },
            s.name,
          );
          return;
        }
        // ask: a person says retry, skip or abort.
        s.asking = true;
        s.state = 'awaiting-approval';
        s.detail = `${why}: retry, skip or abort?`;
        s.approval = { allowed: runDeciders(plan), needed: 1, approvedBy: [], question: s.detail };
        showState();
        void tell(
          'DrStepFailed',
          'critical',
          `${plan.name}: step ${s.name} failed (${why}); it waits for retry, skip or abort\n${answerHow(s.name, ['retry', 'skip', 'abort'])}`,
          { step: s.name },
          runDeciders(plan),
        );
        await condition(() => answers.has(s.name) || abortReq !== null);
        s.asking = false;
        s.approval = null;
        const answer = answers.get(s.name);
        answers.delete(s.name);
        if (abortReq) return finish(s, state, `${why}; the run was aborted`);
        if (answer === 'skip') return finish(s, 'skipped', `${why}; skipped`);
        tries = 0; // retry: a fresh set of attempts
      } finally {
        running.delete(s.name);
      }
    }
  };

  /** Undo completed steps, newest first; a failing undo is reported and the rest still run. */
  const compensate = async (): Promise<void> => {
    view.phase = 'compensating';
    for (const name of [...completedOrder].reverse()) {
      const spec = plan.groups.flatMap((g) => g.steps).find((x) => x.name === name);
      const s = step(name);
      // In a drill, only what really ran is undone (a replaced step's undo is not its own).
      if (!spec?.compensate || s.drill === 'skipped' || s.drill === 'replaced') continue;
      s.state = 'compensating';
      showState();
      try {
        const o = await execute(
          `${name} (undo)`,
          spec.compensate,
          spec.timeoutMs ?? defaultStepTimeoutMs(spec.compensate),
          input.drill,
        );
        s.compensation = { state: 'completed', detail: o.detail };
        s.state = 'compensated';
      } catch (err) {
        s.compensation = { state: 'failed', detail: message(err) };
        s.state = 'completed';
        note(`undoing ${name} failed: ${message(err)}`);
      }
      showState();
    }
  };

  const cleanUp = async (): Promise<void> => {
    if (!undo.length) return;
    view.phase = 'cleaning-up';
    showState();
    const seen = new Set<string>();
    for (const u of [...undo].reverse()) {
      const key = JSON.stringify(u);
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        if (u.kind === 'scratch') {
          const o = await host(u.host, 600_000).drRemoveScratch({ key: u.key });
          view.cleanup.push(`removed on ${u.host}: ${o.detail}`);
        } else {
          const o = await shared(600_000).drFailover({
            group: u.group,
            to: u.to,
            by: who,
            drill: false,
            switchover: true,
          });
          view.cleanup.push(`switched ${u.group} back: ${o.detail}`);
        }
      } catch (err) {
        view.cleanup.push(
          `FAILED to undo ${u.kind === 'scratch' ? `scratch on ${u.host}` : `switchover of ${u.group}`}: ${message(err)}`,
        );
      }
    }
  };

  // ---- the run ----
  showState();
  void tell(
    'DrRunStarted',
    input.drill ? 'info' : 'critical',
    `${input.drill ? 'DR drill' : 'DR run'} of ${plan.name} started by ${input.startedBy}: ${info.workflowId}`,
  );
  try {
    const pre = step('preconditions');
    pre.startedAt = now();
    pre.state = 'executing';
    showState();
    const checked = await shared(300_000).drPreconditions({
      critical: plan.critical,
      sets: input.sets,
      rpoMs: plan.rpoMs,
    });
    pre.attempts = 1;
    if (checked.problems.length && input.drill) {
      // A drill waits for nobody (a scheduled one runs unattended): what failed is its finding.
      finish(pre, 'failed', `preconditions failed: ${checked.problems.join('; ')}; the drill goes on`);
      note(pre.detail);
    } else if (checked.problems.length) {
      pre.detail = `preconditions failed: ${checked.problems.join('; ')}; approve to proceed anyway`;
      note(pre.detail);
      const r = await approve(pre, null);
      if (r === 'rejected') {
        finish(pre, 'failed', `${pre.detail} — rejected by ${rejections.get(pre.name)!.by}`);
        abortRun(rejections.get(pre.name)!, pre.name);
      } else if (r === 'aborted') finish(pre, 'cancelled', 'aborted');
      else
        finish(
          pre,
          'completed',
          `proceeding despite: ${checked.problems.join('; ')} (approved by ${pre.approval!.approvedBy.join(', ')})`,
        );
    } else finish(pre, 'completed', checked.detail);
    if (!abortReq) view.phase = 'running';
    for (const g of plan.groups) {
      if (abortReq) break;
      await Promise.all(g.steps.map((s) => runStep(s)));
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    abortRun({ what: 'abort', by: 'temporal', at: now(), comment: 'the workflow was cancelled' }, null);
  }
  await CancellationScope.nonCancellable(async () => {
    if (abortReq) await compensate();
    await cleanUp();
  });
  for (const s of view.steps)
    if (s.state === 'not-started') s.detail = abortReq ? 'not run: the run was aborted' : s.detail;
  view.endedAt = now();
  view.phase = abortReq ? (failedBy ? 'failed' : 'aborted') : 'completed';
  showState();
  const report = buildReport(view);
  const rto = report.rto.achievedMs === null ? 'not recovered' : formatMs(report.rto.achievedMs);
  const summary = `${input.drill ? 'DR drill' : 'DR run'} of ${plan.name} ${view.phase}: RTO ${rto}${report.rpo.achievedMs !== null ? `, RPO ${formatMs(report.rpo.achievedMs)}` : ''}; ${report.breaches.length ? `breaches: ${report.breaches.join('; ')}` : 'no breaches'}. Report: hactl dr report ${info.workflowId} --markdown`;
  // Awaited: the signal must be on its way before the run completes.
  await tell(
    report.breaches.length ? 'DrBreach' : 'DrRunFinished',
    report.breaches.length ? 'critical' : 'info',
    summary,
  );
  return report;
}

const message = (err: unknown): string => innermostCause(err).message;
