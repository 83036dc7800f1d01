import { NoSuchBackup, pickBackup } from '../../src/backup/model/selection';
import { parseTime } from '../../src/core/time';
import type { BackupInfo } from '../../src/backup/model/types';
import { backupId } from '../../src/backup/model/types';

const info = (iso: string, suffix: string): BackupInfo =>
  ({ id: backupId(Date.parse(iso), suffix), createdAt: new Date(iso).toISOString() }) as BackupInfo;

const backups = [
  info('2026-11-01T02:00:00Z', 'aaaaaa'),
  info('2026-11-02T02:00:00Z', 'bbbbbb'),
  info('2026-11-03T02:00:00Z', 'cccccc'),
];

describe('choosing a backup to restore', () => {
  it('backup IDs sort by time', () => {
    expect(backups.map((b) => b.id)).toEqual([
      '20261101T020000Z-aaaaaa',
      '20261102T020000Z-bbbbbb',
      '20261103T020000Z-cccccc',
    ]);
    expect(
      [...backups]
        .reverse()
        .map((b) => b.id)
        .sort(),
    ).toEqual(backups.map((b) => b.id));
  });

  it('--at picks the newest at or before the time', () => {
    expect(pickBackup('s', backups, { at: Date.parse('2026-11-02T12:00:00Z') }).id).toBe(backups[1]!.id);
    expect(pickBackup('s', backups, { at: Date.parse('2026-11-02T02:00:00Z') }).id).toBe(backups[1]!.id);
    expect(pickBackup('s', backups, { at: Date.parse('2026-11-02T01:59:59Z') }).id).toBe(backups[0]!.id);
    expect(pickBackup('s', backups, { at: Date.parse('2030-01-01T00:00:00Z') }).id).toBe(backups[2]!.id);
  });

  it('explains the available range when nothing is old enough', () => {
    expect(() => pickBackup('db', backups, { at: Date.parse('2026-10-01T00:00:00Z') })).toThrow(
      'no backup of db at or before 2026-10-01T00:00:00.000Z; available: 2026-11-01T02:00:00.000Z (20261101T020000Z-aaaaaa) to 2026-11-03T02:00:00.000Z (20261103T020000Z-cccccc), 3 backup(s)',
    );
    expect(() => pickBackup('db', [], {})).toThrow(NoSuchBackup);
  });

  it('by id, or the newest', () => {
    expect(pickBackup('s', backups, { id: backups[0]!.id }).id).toBe(backups[0]!.id);
    expect(pickBackup('s', backups, {}).id).toBe(backups[2]!.id);
    expect(() => pickBackup('s', backups, { id: 'nope' })).toThrow(
      /has no backup nope; newest is 20261103T020000Z-cccccc/,
    );
  });

  it('refuses a damaged backup by id with the reason', () => {
    expect(() =>
      pickBackup('db', backups, { id: 'x1' }, [{ id: 'x1', reason: 'archive x1.tar.gz is missing' }]),
    ).toThrow(
      'backup x1 of db is damaged: archive x1.tar.gz is missing; nothing was written (see hactl backup verify db)',
    );
  });

  it('reads times as operators type them', () => {
    const now = Date.parse('2026-11-27T12:00:00Z');
    expect(parseTime('2026-11-27T02:00:00Z', now)).toBe(Date.parse('2026-11-27T02:00:00Z'));
    expect(parseTime('2026-11-27T03:00:00+01:00', now)).toBe(Date.parse('2026-11-27T02:00:00Z'));
    expect(parseTime('2026-11-27 02:00', now)).toBe(Date.parse('2026-11-27T02:00:00Z'));
    expect(parseTime('2026-11-27', now)).toBe(Date.parse('2026-11-27T23:59:59.999Z'));
    expect(parseTime('90m ago', now)).toBe(now - 90 * 60_000);
    expect(parseTime('2d ago', now)).toBe(now - 2 * 86_400_000);
    expect(() => parseTime('yesterday-ish', now)).toThrow(/cannot read the time "yesterday-ish"/);
  });
});
