// Disaster-recovery plans: durable runbooks that people approve, abort, skip and retry step by
// step, with RTO and RPO measured against their targets, undo on abort, and drills that clean
// up after themselves. Each run is the workflow dr:<plan>:<run>.
import type { Capability } from '../platform/capability';
import { lazy } from '../platform/capability';
import type { DrSection } from './desired';
import { DR_BAD_INPUT, DR_NON_RETRYABLE } from './model/failures';
import { DR_CONTROLLER_KINDS, DR_KIND, DR_OWNED_ID_PREFIXES, DR_WORKFLOWS } from './model/ids';
import type { parts } from './parts';

export const dr: Capability<DrSection> = {
  name: 'dr',
  commands: [
    {
      name: 'dr',
      summary: 'disaster-recovery plans: run, drill, approve, reject, abort, skip, retry, report',
      load: () => import('./cli/dr'),
    },
  ],
  ownedIdPrefixes: DR_OWNED_ID_PREFIXES,
  controllerKinds: DR_CONTROLLER_KINDS,
  workflowTypes: Object.values(DR_WORKFLOWS),
  failures: { nonRetryable: DR_NON_RETRYABLE, badInput: DR_BAD_INPUT },
  audit: {
    messages: { [DR_KIND.run]: ['approve', 'reject', 'abort', 'skip', 'retry', 'pause', 'resume'] },
    starts: [DR_KIND.run],
  },
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, so that `hactl --version` stays light
  load: lazy(() => (require('./parts') as { parts: typeof parts }).parts),
};
