// The drPlans section: what a plan normalises to (drill defaults, critical steps, approvers),
// and every mistake located: unknown references, step types, approvers and shapes.
import { ConfigError } from '../../src/platform/config/issues';
import * as path from 'node:path';
import { desiredState, loadConfig, parseConfig } from '../../src/platform/registry-api';
import { ROOT } from '../setup/shared';

const HEAD = `version: 1
hosts:
  - { name: alpha }
  - { name: beta }
backups:
  - { name: db, host: alpha, paths: [/srv/db], destination: /backups/db }
notifications:
  receivers:
    - { name: pager, type: log }
`;

function messages(yaml: string): string[] {
  try {
    parseConfig(yaml, 'ha.yml');
  } catch (err) {
    if (err instanceof ConfigError)
      return err.issues.map((i) => `${i.line}:${i.col} ${i.path.replace(/\[(\d+)\]/g, '.$1')} ${i.message}`);
    throw err;
  }
  return [];
}

const PLAN = `${HEAD}drPlans:
  - name: orders
    description: bring orders back
    rto: 30m
    rpo: 1h
    contacts:
      - { name: ann, role: dba, receivers: [pager] }
      - { name: bob, role: dba }
      - { name: cy, role: manager }
    critical: { hosts: [alpha], backupSets: [db] }
    approvers: [role:manager]
    drill: { schedule: { cron: '0 3 1 */3 *' } }
    groups:
      - name: decide
        steps:
          - name: go
            approval: { approvers: [role:dba], count: 2, timeout: 10m, onTimeout: escalate, escalateTo: [cy] }
      - name: recover
        steps:
          - name: stop-app
            command: { host: beta, argv: [systemctl, stop, app] }
            compensate: { command: { host: beta, argv: [systemctl, start, app] } }
            retries: 2
            onFailure: ask
            target: 30s
          - name: restore-db
            restore: { set: db, to: /srv/db }
          - name: tell
            notify: { message: restored }
`;

describe('drPlans config', () => {
  it('normalises a plan: targets, contacts, steps with their drill defaults and critical flags', () => {
    const p = parseConfig(PLAN, 'ha.yml').drPlans[0]!;
    expect(p).toMatchObject({
      name: 'orders',
      rtoMs: 1_800_000,
      rpoMs: 3_600_000,
      approvers: ['role:manager'],
      drillSchedule: { cron: '0 3 1 */3 *' },
      critical: { hosts: ['alpha'], backupSets: ['db'], services: [], failoverGroups: [] },
    });
    const steps = p.groups.flatMap((g) => g.steps);
    expect(steps.map((s) => [s.name, s.action.type, s.drill, s.critical])).toEqual([
      ['go', 'approval', 'run', true],
      ['stop-app', 'command', 'skip', true],
      ['restore-db', 'restore', 'run', true],
      ['tell', 'notify', 'run', false],
    ]);
    expect(steps[0]!.action).toMatchObject({
      approvers: {
        names: ['role:dba'],
        count: 2,
        timeoutMs: 600_000,
        onTimeout: 'escalate',
        escalateTo: ['cy'],
        allowSelfApproval: false,
      },
    });
    expect(steps[1]).toMatchObject({
      retries: 2,
      onFailure: 'ask',
      targetMs: 30_000,
      compensate: { type: 'command', host: 'beta' },
    });
    expect(steps[2]!.action).toEqual({ type: 'restore', set: 'db', at: null, to: '/srv/db', host: null });
  });

  it.each([
    [
      'an unknown backup set, host, receiver and role, located',
      PLAN.replace('restore: { set: db,', 'restore: { set: dbx,')
        .replace('{ host: beta, argv: [systemctl, stop', '{ host: betta, argv: [systemctl, stop')
        .replace('receivers: [pager]', 'receivers: [pagr]')
        .replace('approvers: [role:manager]', 'approvers: [role:boss]'),
      [
        /drPlans\.0\.contacts\.0\.receivers\.0 unknown receiver "pagr"; defined: pager/,
        /drPlans\.0\.approvers\.0 no contact has role "boss"/,
        /drPlans\.0\.groups\.1\.steps\.0\.command\.host unknown host "betta"; did you mean "beta"\?/,
        /drPlans\.0\.groups\.1\.steps\.1\.restore\.set unknown backup set "dbx"; defined: db/,
      ],
    ],
    [
      'a step with two types, and one with none',
      PLAN.replace(
        'notify: { message: restored }',
        'notify: { message: restored }\n            backup: { set: db }',
      ).replace(
        '          - name: restore-db\n            restore: { set: db, to: /srv/db }',
        '          - name: restore-db',
      ),
      [
        /steps\.1 a step needs one of: command, http, restore/,
        /steps\.2 a step does one thing: found backup and notify/,
      ],
    ],
    [
      'an approval count above its approvers, escalate without escalateTo',
      PLAN.replace(
        'count: 2, timeout: 10m, onTimeout: escalate, escalateTo: [cy]',
        'count: 3, timeout: 10m, onTimeout: escalate',
      ),
      [
        /approval\.count count 3 is more than the 2 approver\(s\) named/,
        /escalateTo onTimeout: escalate needs escalateTo/,
      ],
    ],
    [
      'duplicate step names and the reserved name',
      PLAN.replace('name: tell', 'name: go').replace('name: stop-app', 'name: preconditions'),
      [
        /steps\.0\.name "preconditions" is the name of the checks/,
        /steps\.2\.name duplicate step name "go" \(also in group decide\)/,
      ],
    ],
    [
      'a bad time, a duration without unit, an unknown field',
      PLAN.replace('to: /srv/db }', 'to: /srv/db, at: yesterday }')
        .replace('target: 30s', 'target: 30')
        .replace('retries: 2', 'retries: 2\n            retry: 2'),
      [
        /restore\.at at is "latest" or an ISO time/,
        /target durations need a unit/,
        /steps\.0\.retry unknown field "retry"/,
      ],
    ],
  ])('%s', (_what, yaml, expected) => {
    const got = messages(yaml);
    for (const re of expected) expect(got.some((m) => re.test(m)) ? re : got).toEqual(re);
  });

  it('hactl apply keeps one drill Schedule per plan that has a drill schedule, starting dr:<plan>:drill-… runs', () => {
    const d = desiredState(parseConfig(PLAN, 'ha.yml')).filter((x) => x.id.startsWith('dr-drill:'));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      type: 'schedule',
      id: 'dr-drill:orders',
      kind: 'dr-drill',
      target: 'orders',
    });
    const action = (
      d[0] as { options: { action: { workflowId: string; workflowType: string; args: unknown[] } } }
    ).options.action;
    expect(action.workflowId).toBe('dr:orders:drill');
    expect(action.workflowType).toBe('drPlanWorkflow');
    expect(action.args[0]).toMatchObject({
      drill: true,
      startedBy: 'schedule',
      sets: { db: { spec: { set: 'db' } } },
    });
  });
});

describe('shipped plans', () => {
  it.each(['config/high_availability.yml', 'config/examples/dr-postgres.yml'])(
    '%s validates, with its plan',
    (file) => {
      const cfg = loadConfig(path.join(ROOT, file));
      expect(cfg.drPlans.length).toBeGreaterThan(0);
      for (const p of cfg.drPlans) expect(p.groups.length).toBeGreaterThan(1);
    },
  );
});
