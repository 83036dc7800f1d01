// One-off workflow IDs started by two hactl processes in the same millisecond must differ:
// CI once saw the second of two simultaneous restores fail as "already started".
import { BACKUP_IDS } from '../../src/backup/model/ids';
import { oneOffIdTail } from '../../src/platform/temporal/one-off-id';

describe('one-off workflow IDs', () => {
  it('two in the same millisecond differ, and both carry the time', () => {
    const ids = new Set(
      Array.from({ length: 1000 }, () => BACKUP_IDS.restoreCheckWorkflow('small', oneOffIdTail(42))),
    );
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^restore-check:small-42-[0-9a-f]{8}$/);
  });
});
