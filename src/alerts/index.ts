// Alerts: rules on every host's metrics and the fleet's recovery points, evaluated with
// hysteresis and flap detection, and notifications routed, grouped, silenced, acknowledged
// and inhibited like Alertmanager does — delivered durably to webhooks, Alertmanager, commands,
// files and logs. Other capabilities send their events through the same path.
import type { Capability } from '../platform/capability';
import { lazy } from '../platform/capability';
import type { AlertsSection } from './desired';
import { ALERTS_BAD_INPUT, ALERTS_NON_RETRYABLE } from './model/failures';
import {
  ALERTS_CONTROLLER_KINDS,
  ALERTS_KIND,
  ALERTS_OWNED_ID_PREFIXES,
  ALERTS_WORKFLOWS,
} from './model/ids';
import type { parts } from './parts';

export const alerts: Capability<AlertsSection> = {
  name: 'alerts',
  commands: [
    { name: 'alerts', summary: 'list alerts and acknowledge them', load: () => import('./cli/alerts') },
    {
      name: 'silence',
      summary: 'silence alerts by their labels; list and end silences',
      load: () => import('./cli/silence'),
    },
  ],
  ownedIdPrefixes: ALERTS_OWNED_ID_PREFIXES,
  controllerKinds: ALERTS_CONTROLLER_KINDS,
  workflowTypes: Object.values(ALERTS_WORKFLOWS),
  failures: { nonRetryable: ALERTS_NON_RETRYABLE, badInput: ALERTS_BAD_INPUT },
  audit: { messages: { [ALERTS_KIND.manager]: ['addSilence', 'expireSilence', 'ack'] } },
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, so that `hactl --version` stays light
  load: lazy(() => (require('./parts') as { parts: typeof parts }).parts),
};
