// Registers the project's search attributes on a namespace, adding only the missing ones, so
// that an existing database (or a production cluster) gets them too.
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

/** Returns the names it added (empty when all were present). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = Object.entries(SEARCH_ATTRIBUTE_TYPES).filter(([name]) => !have.has(name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPE_CODES[type]!])),
    });
  } catch (err) {
    // Another process registering the same attributes at the same moment is fine.
    if (!/already exists/i.test(String((err as Error).message))) throw err;
  }
  // Registration is asynchronous on some servers; wait until they are visible.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const now = await connection.operatorService.listSearchAttributes({ namespace });
    if (missing.every(([name]) => name in (now.customAttributes ?? {}))) break;
    if (Date.now() > deadline)
      throw new Error(`search attributes ${missing.map(([n]) => n).join(', ')} did not appear`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return missing.map(([n]) => n);
}
