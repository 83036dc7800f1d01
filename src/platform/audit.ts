// `hactl audit`: what people did — decisions sent to controllers and runs (approve, abort,
// switchover, silence, ack, restart, ...), runs they started (restores, manual backups, DR runs),
// and cancels and terminations — read from Temporal's own records: the histories of our
// workflows, where every signal, accepted update, start, cancel request and termination is an
// event with its time and the caller's identity. No second store: what Temporal keeps (the
// namespace's retention for closed runs) is what the audit can show.
import type { Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { SA } from '../core/search-attribute-names';
import { SA_KEYS } from '../core/search-attributes';
import type { Capability } from './capability';
import { mapLimit, SERVER_CONCURRENCY } from './concurrency';

const E = temporal.api.enums.v1.EventType;

export interface AuditEntry {
  at: string;
  /** The person: the request's `by` (from --as or --by), else the caller's Temporal identity. */
  who: string;
  /** The Temporal identity of the call (hactl sets user@machine; the Web UI its login). */
  identity: string;
  /** approve, abort, switchover, start restore, cancel, terminate, ... */
  what: string;
  workflowId: string;
  runId: string;
  /** The step, node, silence or service it was about, and anything else the request said. */
  detail: string;
  comment: string;
}

export interface AuditSpec {
  messages: Map<string, Set<string>>;
  starts: Set<string>;
  readOnly: string[];
}

/** Every capability's declared human actions, merged. */
export function auditSpec(caps: readonly Capability[]): AuditSpec {
  const messages = new Map<string, Set<string>>();
  const starts = new Set<string>();
  const readOnly: string[] = [];
  for (const c of caps) {
    for (const [kind, names] of Object.entries(c.audit?.messages ?? {}))
      messages.set(kind, new Set([...(messages.get(kind) ?? []), ...names]));
    for (const k of c.audit?.starts ?? []) starts.add(k);
    readOnly.push(...(c.audit?.readOnly ?? []));
  }
  return { messages, starts, readOnly };
}

type Json = Record<string, unknown>;

const time = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

/** The fields of a request worth a column: who, why, and what it was about. */
function describeRequest(arg: unknown): { by: string; comment: string; detail: string } {
  if (!arg || typeof arg !== 'object')
    return { by: '', comment: '', detail: arg === undefined ? '' : JSON.stringify(arg) };
  const a = arg as Json;
  const str = (k: string): string => {
    const v = a[k];
    return typeof v === 'string' ? v : '';
  };
  const rest = Object.entries(a)
    .filter(
      ([k, v]) =>
        !['by', 'startedBy', 'createdBy', 'comment', 'reason'].includes(k) &&
        v !== undefined &&
        v !== null &&
        typeof v !== 'object',
    )
    .map(([k, v]) => `${k}=${String(v)}`);
  return {
    by: str('by') || str('startedBy') || str('createdBy'),
    comment: str('comment') || str('reason'),
    detail: rest.join(' '),
  };
}

/** One run's human actions since `since` (ms). */
async function runActions(
  client: Client,
  run: { workflowId: string; runId: string; kind: string; type: string },
  spec: AuditSpec,
  since: number,
): Promise<AuditEntry[]> {
  const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
  const names = spec.messages.get(run.kind) ?? new Set<string>();
  const out: AuditEntry[] = [];
  const decode = async (payloads: temporal.api.common.v1.IPayloads | null | undefined): Promise<unknown> => {
    try {
      return (await decodeArrayFromPayloads(client.options.loadedDataConverter, payloads?.payloads ?? []))[0];
    } catch {
      return { detail: '(cannot decode: encrypted with keys this client does not have)' };
    }
  };
  const add = async (
    at: number,
    what: string,
    identity: string | null | undefined,
    arg: unknown,
  ): Promise<void> => {
    const r = describeRequest(arg);
    out.push({
      at: new Date(at).toISOString(),
      who: r.by || identity || 'unknown',
      identity: identity ?? '',
      what,
      workflowId: run.workflowId,
      runId: run.runId,
      detail: r.detail,
      comment: r.comment,
    });
  };
  for (const e of history.events ?? []) {
    const at = time(e.eventTime);
    if (at < since) continue;
    if (e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
      const a = e.workflowExecutionStartedEventAttributes!;
      // A person's start: no parent, no schedule, not a read-only helper, not a continued run.
      const scheduled = a.searchAttributes?.indexedFields?.TemporalScheduledById !== undefined;
      const readOnly = spec.readOnly.some((p) => run.workflowId.startsWith(p));
      if (
        !spec.starts.has(run.kind) ||
        a.parentWorkflowExecution ||
        scheduled ||
        readOnly ||
        a.continuedExecutionRunId
      )
        continue;
      await add(at, `start ${run.type}`, a.identity, await decode(a.input));
    } else if (e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) {
      const a = e.workflowExecutionSignaledEventAttributes!;
      if (names.has(a.signalName ?? ''))
        await add(at, `${a.signalName} (signal)`, a.identity, await decode(a.input));
    } else if (e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) {
      const req = e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest;
      const name = req?.input?.name ?? '';
      if (names.has(name)) await add(at, name, req?.meta?.identity, await decode(req?.input?.args));
    } else if (e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED) {
      const a = e.workflowExecutionCancelRequestedEventAttributes!;
      await add(at, 'cancel', a.identity, { comment: a.cause ?? '' });
    } else if (e.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED) {
      const a = e.workflowExecutionTerminatedEventAttributes!;
      await add(at, 'terminate', a.identity, { comment: a.reason ?? '' });
    }
  }
  return out;
}

/** Every human action on our workflows since `since`, oldest first. */
export async function collectAudit(
  client: Client,
  caps: readonly Capability[],
  since: number,
): Promise<AuditEntry[]> {
  const spec = auditSpec(caps);
  const kinds = [...new Set([...spec.messages.keys(), ...spec.starts])];
  if (kinds.length === 0) return [];
  const sinceIso = new Date(since).toISOString();
  // Runs open now, and runs that closed since: together every run that can hold an action since.
  const query = `${SA.kind} IN (${kinds.map((k) => `'${k}'`).join(', ')}) AND (ExecutionStatus = 'Running' OR CloseTime >= '${sinceIso}')`;
  const runs: Array<{ workflowId: string; runId: string; kind: string; type: string }> = [];
  for await (const w of client.workflow.list({ query }))
    runs.push({
      workflowId: w.workflowId,
      runId: w.runId,
      kind: w.typedSearchAttributes.get(SA_KEYS.kind) ?? '',
      type: w.type,
    });
  const found = await mapLimit(runs, SERVER_CONCURRENCY, (r) => runActions(client, r, spec, since));
  return found.flat().sort((a, b) => a.at.localeCompare(b.at) || a.workflowId.localeCompare(b.workflowId));
}
