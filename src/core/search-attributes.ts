// Custom search attributes that let the Web UI filter by kind of job, target, state and host.
// Registered on the namespace by `hactl dev` / `hactl apply`; imported by workflows too.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import { SA, SEARCH_ATTRIBUTE_TYPES } from './search-attribute-names';

export { SA, SEARCH_ATTRIBUTE_TYPES };

/** Typed keys, for workflows and clients that set or read them. */
export const SA_KEYS = {
  kind: defineSearchAttributeKey(SA.kind, SearchAttributeType.KEYWORD),
  target: defineSearchAttributeKey(SA.target, SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey(SA.state, SearchAttributeType.KEYWORD),
  host: defineSearchAttributeKey(SA.host, SearchAttributeType.KEYWORD),
  alerts: defineSearchAttributeKey(SA.alerts, SearchAttributeType.KEYWORD_LIST),
  config: defineSearchAttributeKey(SA.config, SearchAttributeType.KEYWORD),
};

/** Kind, target and (for host-bound work) host of a workflow or schedule. */
export function searchAttributePairs(kind: string, target: string, host?: string): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: SA_KEYS.kind, value: kind },
    { key: SA_KEYS.target, value: target },
  ];
  if (host) pairs.push({ key: SA_KEYS.host, value: host });
  return pairs;
}
