// The names and types of our custom search attributes, without the SDK: the CLI's error
// messages name them, and `hactl --version` must not load the Temporal SDK.

export const SA = {
  kind: 'HaKind',
  target: 'HaTarget',
  state: 'HaState',
  host: 'HaHost',
  /** Firing alerts as "alertname@host" (on alerts:manager). */
  alerts: 'HaAlerts',
  /** On a Schedule: the hash of the config it was made from (a re-apply reads it from one listing). */
  config: 'HaConfig',
} as const;

export const SEARCH_ATTRIBUTE_TYPES: Record<(typeof SA)[keyof typeof SA], 'Keyword' | 'KeywordList'> = {
  HaKind: 'Keyword',
  HaTarget: 'Keyword',
  HaState: 'Keyword',
  HaHost: 'Keyword',
  HaAlerts: 'KeywordList',
  HaConfig: 'Keyword',
};
