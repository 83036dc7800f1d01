// What the previous release wrote must still read as "unchanged": the config hashes that apply
// stores in memos, the memo keys, IDs, search attributes, queues, workflow and message names.
// The fixture was written by the release before the restructuring (see its "about").
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { desiredState, parseConfig } from '../../src/platform/registry-api';
import { hostTaskQueue, MEMO, PRODUCT, SHARED_TASK_QUEUE } from '../../src/core/names';
import { SEARCH_ATTRIBUTE_TYPES } from '../../src/core/search-attributes';
import { reconfigureSignal } from '../../src/core/controller';
import { CAPABILITIES } from '../../src/registry';
import { workflowExports } from '../../src/platform/worker/modules';
import { hostReportSignal, monitorStateQuery } from '../../workflows/health/messages';
import { backupProgressQuery } from '../../workflows/backup/messages';
import { ROOT } from '../setup/shared';

interface Fixture {
  memo: Record<string, string>;
  managedBy: string;
  searchAttributes: Record<string, string>;
  taskQueues: { shared: string; host: string };
  workflowTypes: string[];
  messages: Record<string, string>;
  desired: Record<string, Array<{ type: string; id: string; kind: string; hash: string }>>;
}

const fixture = JSON.parse(
  readFileSync(path.join(ROOT, 'test', 'fixtures', 'previous-release.json'), 'utf8'),
) as Fixture;

const configs: Record<string, string> = {
  shipped: path.join(ROOT, 'config', 'high_availability.yml'),
  'multi-set': path.join(ROOT, 'test', 'fixtures', 'multi-set.yml'),
};

describe('compatibility with the previous release', () => {
  it.each(Object.keys(configs))('the %s config gives the same objects and config hashes', (name) => {
    const file = configs[name]!;
    const cfg = parseConfig(readFileSync(file, 'utf8'), path.join('/srv/ha/config', path.basename(file)));
    const now = desiredState(cfg).map((d) => ({ type: d.type, id: d.id, kind: d.kind, hash: d.hash }));
    // Everything the previous release created is unchanged, and its capabilities create nothing
    // more; only capabilities it did not have (their own ID prefixes) may add objects.
    const previousCaps = CAPABILITIES.filter((c) =>
      fixture.workflowTypes.some((t) => c.workflowTypes.includes(t)),
    );
    const ownedBefore = (id: string): boolean =>
      previousCaps.some((c) => c.ownedIdPrefixes.some((p) => id.startsWith(p)));
    expect(now.filter((d) => ownedBefore(d.id))).toEqual(fixture.desired[name]!);
    const added = now.filter((d) => !ownedBefore(d.id)).map((d) => d.id);
    expect(added.every((id) => !fixture.desired[name]!.some((d) => d.id === id))).toBe(true);
  });

  it('keeps memo keys, search attributes and task queues', () => {
    // Every memo key of the previous release, unchanged; new ones may join (haView).
    expect(MEMO).toMatchObject(fixture.memo);
    expect(PRODUCT).toBe(fixture.managedBy);
    // Every attribute the previous release registered, with the same type; new ones may join.
    expect(SEARCH_ATTRIBUTE_TYPES).toMatchObject(fixture.searchAttributes);
    expect({ shared: SHARED_TASK_QUEUE, host: hostTaskQueue('alpha') }).toEqual(fixture.taskQueues);
  });

  it('keeps every workflow type and message name', () => {
    const exported = Object.keys(workflowExports(CAPABILITIES));
    for (const t of fixture.workflowTypes) expect(exported).toContain(t);
    expect({
      hostReportSignal: hostReportSignal.name,
      monitorStateQuery: monitorStateQuery.name,
      reconfigureSignal: reconfigureSignal.name,
      backupProgressQuery: backupProgressQuery.name,
    }).toEqual(fixture.messages);
  });
});
