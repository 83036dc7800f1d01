// The shape the code keeps: a light client API and CLI entry, every capability in the
// registry complete (workflows, activities, names), and every workflow that clients and
// schedules start exported by the workflow bundle's entry.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CAPABILITIES } from '../../src/registry';
import { desiredState, parseConfig } from '../../src/platform/registry-api';
import { activityModules, workflowExports } from '../../src/platform/worker/modules';
import { requestedGroup } from '../../src/platform/cli/main';
import { ROOT } from '../setup/shared';

/** The modules a fresh Node process has loaded after requiring `file`. */
function loadedBy(file: string): string[] {
  const out = execFileSync(
    process.execPath,
    ['-e', `require(${JSON.stringify(file)}); console.log(JSON.stringify(Object.keys(require.cache)))`],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as string[];
}

const HEAVY = [
  /node_modules\/@temporalio\/worker\//,
  /node_modules\/@temporalio\/core-bridge\//,
  /node_modules\/systeminformation\//,
  /node_modules\/@swc\//,
  /node_modules\/webpack\//,
  /\/dist\/activities\//,
];

describe('what loads', () => {
  it('the API entry loads no worker, no activity code and no systeminformation', () => {
    const loaded = loadedBy(path.join(ROOT, 'dist', 'src', 'api.js'));
    for (const re of HEAVY) expect(loaded.filter((m) => re.test(m))).toEqual([]);
    expect(loaded.length).toBeLessThan(600);
  });

  it('the CLI entry (all that --version and --help need) loads neither the client nor zod', () => {
    const loaded = loadedBy(path.join(ROOT, 'dist', 'src', 'platform', 'cli', 'main.js'));
    for (const re of [...HEAVY, /node_modules\/@temporalio\//, /@grpc\//, /node_modules\/zod\//, /js-yaml/])
      expect(loaded.filter((m) => re.test(m))).toEqual([]);
  });

  it('finds the command group in argv past global options', () => {
    expect(requestedGroup(['--address', 'x:1', 'backup', 'run', 'db'])).toBe('backup');
    expect(requestedGroup(['--address=x:1', '--json', 'status'])).toBe('status');
    expect(requestedGroup(['help', 'restore'])).toBe('restore');
    expect(requestedGroup(['--version'])).toBeUndefined();
  });
});

describe('the registry', () => {
  it('names each capability after its folders, and each has its workflows', () => {
    for (const c of CAPABILITIES) {
      expect(existsSync(path.join(ROOT, 'src', c.name, 'index.ts'))).toBe(true);
      expect(existsSync(path.join(ROOT, 'workflows', c.name, 'index.ts'))).toBe(true);
    }
    const folders = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && !['core', 'platform'].includes(d.name))
      .map((d) => d.name)
      .sort();
    expect(CAPABILITIES.map((c) => c.name).sort()).toEqual(folders);
  });

  it('every activity module builds, and no two capabilities define the same activity', () => {
    const names = new Map<string, string>();
    for (const { name, module } of activityModules(CAPABILITIES)) {
      const h = module.host?.({ host: 'here', env: process.env, stateDir: '/nonexistent' });
      for (const key of Object.keys(h?.activities ?? {})) {
        expect(names.get(key)).toBeUndefined();
        names.set(key, name);
      }
    }
    expect(names.size).toBeGreaterThan(5);
  });

  it('every workflow type that clients and schedules start is exported by the bundle entry', () => {
    const exported = workflowExports(CAPABILITIES);
    const used = new Set(CAPABILITIES.flatMap((c) => c.workflowTypes));
    for (const file of ['config/high_availability.yml', 'test/fixtures/multi-set.yml']) {
      const cfg = parseConfig(readFileSync(path.join(ROOT, file), 'utf8'), path.join('/srv/ha', file));
      for (const d of desiredState(cfg))
        used.add(d.type === 'schedule' ? String(d.options.action.workflowType) : d.workflowType);
    }
    for (const name of used) expect([name, typeof exported[name]]).toEqual([name, 'function']);
  });

  it('owned ID prefixes do not overlap between capabilities', () => {
    const all = CAPABILITIES.flatMap((c) => c.ownedIdPrefixes.map((p) => [p, c.name] as const));
    for (const [p, owner] of all)
      for (const [q, other] of all) if (owner !== other) expect(p.startsWith(q)).toBe(false);
  });
});

describe('file sizes', () => {
  it('no source or test file passes 400 lines without a comment that says why', () => {
    const long: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) walk(rel);
        else if (e.name.endsWith('.ts')) {
          const text = readFileSync(path.join(ROOT, rel), 'utf8');
          if (text.split('\n').length > 400 && !/Over 400 lines on purpose: \S/.test(text)) long.push(rel);
        }
      }
    };
    for (const d of ['src', 'workflows', 'activities', 'test', 'bench', 'scripts']) {
      if (existsSync(path.join(ROOT, d))) walk(d);
    }
    expect(long).toEqual([]);
  });
});
