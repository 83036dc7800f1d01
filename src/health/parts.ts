// The health capability's heavier parts, loaded on first use (see ./index.ts).
import type { CapabilityParts } from '../platform/capability';
import { healthSection } from './config';
import { healthDesired } from './desired';
import type { HealthSection } from './desired';
import { healthStatus } from './status';

export const parts: CapabilityParts<HealthSection> = {
  config: healthSection,
  desired: healthDesired,
  status: healthStatus,
};
