// The alerts capability's heavier parts, loaded on first use (see ./index.ts).
import type { CapabilityParts } from '../platform/capability';
import { alertsSection, notificationsSection } from './config';
import { alertsDesired } from './desired';
import type { AlertsSection } from './desired';
import { alertsStatusSection } from './status';

export const parts: CapabilityParts<AlertsSection> = {
  config: [alertsSection, notificationsSection],
  desired: alertsDesired,
  status: alertsStatusSection,
};
