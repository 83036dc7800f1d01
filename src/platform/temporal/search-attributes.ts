// Registers the project's search attributes on a namespace, adding only the missing ones, so
// that an existing database (or a production cluster) gets them too — and waits until they can
// be used in queries: on a real server's SQL visibility store an attribute that the operator API
// lists is not yet known to every frontend's cache, and a query by it is refused for a while.
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_TYPES } from '../../core/search-attributes';

const INDEXED = temporal.api.enums.v1.IndexedValueType;

const TYPE_CODES: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: INDEXED.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: INDEXED.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  Text: INDEXED.INDEXED_VALUE_TYPE_TEXT,
  Int: INDEXED.INDEXED_VALUE_TYPE_INT,
  Bool: INDEXED.INDEXED_VALUE_TYPE_BOOL,
  Datetime: INDEXED.INDEXED_VALUE_TYPE_DATETIME,
};

const NAMES = Object.keys(SEARCH_ATTRIBUTE_TYPES);

/** A query that names every attribute of ours: refused while any is unknown to the frontend. */
export const PROBE_QUERY = NAMES.map((n) => `${n} = '-'`).join(' OR ');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface EnsureOptions {
  /** How long to wait for the attributes to become usable (default 2 minutes). */
  timeoutMs?: number;
  /** Told once when the wait is longer than a moment. */
  onWait?: (line: string) => void;
}

/** The names of ours that the namespace does not have. */
export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  return NAMES.filter((name) => !have.has(name));
}

function isRefusedQuery(err: unknown): boolean {
  const e = err as { code?: number; message?: string };
  // INVALID_ARGUMENT: "column name 'HaKind' is not a valid search attribute".
  return e.code === 3 || /not a valid search attribute/i.test(e.message ?? '');
}

/** Returns the names it added (empty when all were present). */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  opts: EnsureOptions = {},
): Promise<string[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length) {
    for (;;) {
      try {
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(
            missing.map((name) => [
              name,
              TYPE_CODES[SEARCH_ATTRIBUTE_TYPES[name as keyof typeof SEARCH_ATTRIBUTE_TYPES]]!,
            ]),
          ),
        });
        break;
      } catch (err) {
        const msg = String((err as Error).message);
        // Another process registering the same attributes at the same moment is fine.
        if (/already exists/i.test(msg)) break;
        // A concurrent registration holds the namespace's attribute mapping: try again.
        if (!/mapping unavailable/i.test(msg) || Date.now() > deadline) throw err;
        await sleep(500);
      }
    }
  }
  await waitUntilUsable(connection, namespace, deadline, opts.onWait);
  return missing;
}

/**
 * Until a query by every attribute is accepted several times in a row: behind a load balancer
 * the queries reach every frontend, and each has its own cache.
 */
async function waitUntilUsable(
  connection: Connection,
  namespace: string,
  deadline: number,
  onWait?: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  let told = false;
  let accepted = 0;
  while (accepted < 4) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query: PROBE_QUERY });
      accepted++;
      continue;
    } catch (err) {
      if (!isRefusedQuery(err)) throw err;
      accepted = 0;
      if (Date.now() > deadline) {
        throw new Error(
          `the search attributes ${NAMES.join(', ')} are registered on namespace "${namespace}" but the server still refuses queries by them after ${Math.round((Date.now() - started) / 1000)}s: ${(err as Error).message}`,
        );
      }
      if (!told && Date.now() - started > 2000) {
        onWait?.(
          `waiting for the server to accept queries by the new search attributes of "${namespace}" ...`,
        );
        told = true;
      }
      await sleep(250);
    }
  }
}
