// The redundancy capability's heavier parts, loaded on first use (see ./index.ts).
import type { CapabilityParts } from '../platform/capability';
import { servicesSection } from './config';
import { redundancyDesired } from './desired';
import type { RedundancySection } from './desired';
import { redundancyStatusSection } from './status';

export const parts: CapabilityParts<RedundancySection> = {
  config: servicesSection,
  desired: redundancyDesired,
  status: redundancyStatusSection,
};
