// The failover capability's heavier parts, loaded on first use (see ./index.ts).
import type { CapabilityParts } from '../platform/capability';
import { failoverSection } from './config';
import { failoverDesired } from './desired';
import type { FailoverSection } from './desired';
import { failoverStatusSection } from './status';

export const parts: CapabilityParts<FailoverSection> = {
  config: failoverSection,
  desired: failoverDesired,
  status: failoverStatusSection,
};
