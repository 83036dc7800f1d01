// The unique tail of a one-off workflow ID (a listing, a check before a restore, an ad-hoc
// snapshot). The time alone is not enough: two hactl processes started together (two restores
// of one backup into two directories) reach the same millisecond, and the second start would
// then fail as "already started".
import { randomBytes } from 'node:crypto';

export function oneOffIdTail(now: number = Date.now()): string {
  return `${now}-${randomBytes(4).toString('hex')}`;
}
