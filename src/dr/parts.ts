// The DR capability's heavier parts, loaded on first use (see ./index.ts).
import type { CapabilityParts } from '../platform/capability';
import { drSection } from './config';
import { drDesired } from './desired';
import type { DrSection } from './desired';
import { drStatusSection } from './status';

export const parts: CapabilityParts<DrSection> = {
  config: drSection,
  desired: drDesired,
  status: drStatusSection,
};
