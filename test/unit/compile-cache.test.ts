// The compiled-code cache of hactl, in real node processes: the second run takes every module
// from it; an edited module (even one of the same length, which V8 alone would accept) is
// compiled afresh; a damaged cache file is no cache; modules behave as under Node's own loader.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { readCache, writeCache } from '../../src/platform/cli/compile-cache';
import { tempDir } from '../helpers';

const HOOK = path.resolve(__dirname, '../../src/platform/cli/compile-cache.js');

describe('the compiled-code cache', () => {
  let tmp: ReturnType<typeof tempDir>;
  let cache: string;
  beforeEach(() => {
    tmp = tempDir('compile-cache');
    cache = path.join(tmp.dir, 'cache');
    writeFileSync(
      path.join(tmp.dir, 'main.js'),
      [
        `const hook = require(${JSON.stringify(HOOK)});`,
        `const from = process.env.FROM ? (f) => f.endsWith(process.env.FROM) : () => true;`,
        `const mode = hook.installCompileCache(${JSON.stringify(cache)}, { from });`,
        `const b = require('./b');`,
        `let stack = '';`,
        `try { require('./thrower'); } catch (e) { stack = e.stack; }`,
        `console.log(JSON.stringify({ mode, value: b.value(), resolved: b.resolved, main: b.isMain,`,
        `  shebang: require('./tool').tool, line: /thrower\\.js:3:/.test(stack), stats: hook.compileCacheStats }));`,
      ].join('\n'),
    );
    writeFileSync(
      path.join(tmp.dir, 'b.js'),
      `exports.value = () => 'one';\nexports.resolved = require.resolve('./tool') === __dirname + '/tool.js';\nexports.isMain = require.main === module;\n`,
    );
    writeFileSync(path.join(tmp.dir, 'tool.js'), `#!/usr/bin/env node\nexports.tool = 'ok';\n`);
    writeFileSync(path.join(tmp.dir, 'thrower.js'), `// line 1\n// line 2\nthrow new Error('at line 3');\n`);
  });
  afterEach(() => tmp.cleanup());

  function run(env: NodeJS.ProcessEnv = {}) {
    const r = spawnSync(process.execPath, [path.join(tmp.dir, 'main.js')], {
      encoding: 'utf8',
      env: { ...process.env, HA_COMPILE_CACHE: '', NODE_V8_COVERAGE: '', ...env },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as {
      mode: string;
      value: string;
      resolved: boolean;
      main: boolean;
      shebang: string;
      line: boolean;
      stats: { hits: number; misses: number; rejected: number };
    };
  }
  const builtin = typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

  it('compiles each module once, then takes them all from the cache', () => {
    const first = run();
    if (builtin) {
      expect(first.mode).toBe('builtin'); // Node's own cache: nothing of ours to check
      return;
    }
    expect(first).toMatchObject({
      mode: 'vm',
      value: 'one',
      resolved: true,
      main: false,
      shebang: 'ok',
      line: true,
    });
    expect(first.stats).toEqual({ hits: 0, misses: 3, rejected: 0 });
    const file = readdirSync(cache).find((f) => f.endsWith('.bin'))!;
    expect([...readCache(path.join(cache, file)).keys()].sort()).toEqual(
      ['b.js', 'thrower.js', 'tool.js'].map((f) => path.join(tmp.dir, f)),
    );
    const second = run();
    expect(second).toMatchObject({ value: 'one', shebang: 'ok', line: true });
    expect(second.stats).toEqual({ hits: 3, misses: 0, rejected: 0 });
  });

  it('compiles an edited module afresh, even one of the same length', () => {
    if (builtin) return;
    run();
    const b = path.join(tmp.dir, 'b.js');
    writeFileSync(
      b,
      `exports.value = () => 'two';\nexports.resolved = require.resolve('./tool') === __dirname + '/tool.js';\nexports.isMain = require.main === module;\n`,
    );
    const after = run();
    expect(after.value).toBe('two');
    expect(after.stats).toEqual({ hits: 2, misses: 1, rejected: 0 });
    expect(run().stats).toEqual({ hits: 3, misses: 0, rejected: 0 });
  });

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
    ['garbage', (b: Buffer) => Buffer.alloc(b.length, 7)],
    ['V8 data of another build', null],
  ])('runs correctly over a damaged cache file (%s)', (_what, damage) => {
    if (builtin) return;
    run();
    const file = path.join(
      cache,
      readdirSync(cache).find((f) => f.endsWith('.bin'))!,
    );
    if (damage) {
      writeFileSync(file, damage(readFileSync(file)));
    } else {
      const entries = readCache(file);
      for (const e of entries.values()) e.data = Buffer.alloc(e.data.length, 1);
      writeCache(file, entries);
    }
    const r = run();
    expect(r).toMatchObject({ value: 'one', shebang: 'ok', line: true });
    expect(r.stats.hits).toBe(0);
    expect(run().stats).toEqual({ hits: 3, misses: 0, rejected: 0 });
  });

  it('opens the cache at the first module `from` names; those before compile as usual', () => {
    if (builtin) return;
    const first = run({ FROM: 'thrower.js' }); // loaded after b.js, before tool.js
    expect(first).toMatchObject({ value: 'one', shebang: 'ok', line: true });
    expect(first.stats).toEqual({ hits: 0, misses: 2, rejected: 0 });
    const file = readdirSync(cache).find((f) => f.endsWith('.bin'))!;
    expect([...readCache(path.join(cache, file)).keys()].sort()).toEqual(
      ['thrower.js', 'tool.js'].map((f) => path.join(tmp.dir, f)),
    );
    expect(run({ FROM: 'thrower.js' }).stats).toEqual({ hits: 2, misses: 0, rejected: 0 });
  });

  it('drops the entries of modules that are gone when it writes', () => {
    if (builtin) return;
    run();
    const file = path.join(
      cache,
      readdirSync(cache).find((f) => f.endsWith('.bin'))!,
    );
    const entries = readCache(file);
    const gone = path.join(tmp.dir, 'old-checkout', 'x.js');
    entries.set(gone, { source: '1:1:1', data: Buffer.alloc(8) });
    writeCache(file, entries);
    writeFileSync(path.join(tmp.dir, 'tool.js'), `#!/usr/bin/env node\nexports.tool = 'ok!';\n`); // a write
    expect(run().shebang).toBe('ok!');
    expect(readCache(file).has(gone)).toBe(false);
    expect(readCache(file).size).toBe(3);
  });

  it.each([
    ['HA_COMPILE_CACHE=off', { HA_COMPILE_CACHE: 'off' }],
    ['coverage being taken (NODE_V8_COVERAGE)', { NODE_V8_COVERAGE: 'COVDIR' }],
  ])('does nothing with %s', (_what, env) => {
    const e = { ...env } as NodeJS.ProcessEnv;
    if (e.NODE_V8_COVERAGE) e.NODE_V8_COVERAGE = path.join(tmp.dir, 'coverage');
    expect(run(e)).toMatchObject({ mode: 'off', value: 'one', shebang: 'ok' });
    expect(existsSync(cache)).toBe(false);
  });
});
