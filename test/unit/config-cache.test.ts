// The cache of validated configs: a hit only for the same text, path and code; nothing kept for
// a bad config or a value JSON would change; a damaged entry is parsed again; bounded in size.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cachedConfig, CONFIG_CACHE_ENTRIES, CONFIG_CACHE_MIN_BYTES } from '../../src/platform/config/cache';
import { ConfigError } from '../../src/platform/config/issues';
import { loadConfig } from '../../src/platform/registry-api';
import { tempDir } from '../helpers';

describe('the validated-config cache', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dir: string;
  beforeEach(() => {
    tmp = tempDir('config-cache');
    dir = path.join(tmp.dir, 'configs');
  });
  afterEach(() => tmp.cleanup());

  /** cachedConfig with a counting parser; `fp` stands for the validating code. */
  function load(text: string, file = '/etc/ha.yml', fp = 'code-1', value: unknown = { text, n: 1 }) {
    let parsed = 0;
    const got = cachedConfig(
      text,
      file,
      () => {
        parsed++;
        return value;
      },
      { dir, fingerprint: () => fp, minBytes: 0, env: {} },
    );
    return { got, parsed };
  }
  const entries = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('parses once, then answers the same text at the same path from the cache', () => {
    expect(load('a: 1')).toEqual({ got: { text: 'a: 1', n: 1 }, parsed: 1 });
    expect(load('a: 1')).toEqual({ got: { text: 'a: 1', n: 1 }, parsed: 0 });
    expect(entries()).toHaveLength(1);
    // Private to the user: a config can name webhooks and key files.
    expect(statSync(path.join(dir, entries()[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it.each([
    ['other text', 'a: 2', '/etc/ha.yml', 'code-1'],
    ['same text at another path (relative paths resolve differently)', 'a: 1', '/srv/ha.yml', 'code-1'],
    ['other validating code (a rebuild or an upgrade)', 'a: 1', '/etc/ha.yml', 'code-2'],
  ])('parses again for %s', (_what, text, file, fp) => {
    load('a: 1');
    expect(load(text, file, fp).parsed).toBe(1);
  });

  it('keeps nothing for a bad config, which throws every time', () => {
    const bad = (): unknown =>
      cachedConfig(
        'x',
        '/etc/ha.yml',
        () => {
          throw new Error('bad');
        },
        { dir, fingerprint: () => 'c', minBytes: 0, env: {} },
      );
    expect(bad).toThrow('bad');
    expect(bad).toThrow('bad');
    expect(() => entries()).toThrow(); // not even the directory
  });

  it.each([
    ['an undefined property', { a: undefined }],
    ['a Date', { at: new Date(0) }],
    ['a Set', { s: new Set([1]) }],
  ])('keeps no value JSON would change: %s', (_what, value) => {
    expect(load('a', '/etc/ha.yml', 'c', value).parsed).toBe(1);
    expect(load('a', '/etc/ha.yml', 'c', value).parsed).toBe(1);
  });

  it.each([
    ['not JSON', '{"key": '],
    ['another key in the file', null],
    ['empty', ''],
  ])('parses again over a damaged entry (%s), and mends it', (_what, damage) => {
    load('a: 1');
    const file = path.join(dir, entries()[0]!);
    writeFileSync(file, damage ?? JSON.stringify({ key: 'someone else', config: { evil: true } }));
    expect(load('a: 1')).toEqual({ got: { text: 'a: 1', n: 1 }, parsed: 1 });
    expect(load('a: 1').parsed).toBe(0);
  });

  it('is off with HA_CONFIG_CACHE=off, and for small configs', () => {
    const opts = { dir, fingerprint: () => 'c' };
    cachedConfig('a', '/x', () => 1, { ...opts, minBytes: 0, env: { HA_CONFIG_CACHE: 'off' } });
    cachedConfig('a', '/x', () => 1, { ...opts, env: {} });
    expect(() => entries()).toThrow();
    expect(CONFIG_CACHE_MIN_BYTES).toBeGreaterThan(1000);
  });

  it(`keeps the ${CONFIG_CACHE_ENTRIES} most recently used entries`, () => {
    for (let i = 0; i < CONFIG_CACHE_ENTRIES + 8; i++) load(`n: ${i}`);
    expect(entries()).toHaveLength(CONFIG_CACHE_ENTRIES);
    expect(load(`n: ${CONFIG_CACHE_ENTRIES + 7}`).parsed).toBe(0); // the newest stayed
    expect(load('n: 0').parsed).toBe(1); // the oldest went
  });

  it('gives loadConfig the same config as a full parse, and still rejects an edited bad one', () => {
    const saved = { ...process.env };
    process.env.HA_CACHE_DIR = path.join(tmp.dir, 'root');
    try {
      // Big enough to be cached: many hosts with labels.
      const hosts = Array.from(
        { length: 800 },
        (_, i) => `  - name: host-${i}\n    labels: { rack: r${i % 7}, zone: z${i % 3} }`,
      );
      const file = path.join(tmp.dir, 'fleet.yml');
      const text = `version: 1\nhosts:\n${hosts.join('\n')}\n`;
      expect(text.length).toBeGreaterThan(CONFIG_CACHE_MIN_BYTES);
      writeFileSync(file, text);
      const first = loadConfig(file);
      expect(readdirSync(path.join(tmp.dir, 'root', 'configs'))).toHaveLength(1);
      const second = loadConfig(file);
      process.env.HA_CONFIG_CACHE = 'off';
      expect(second).toEqual(loadConfig(file));
      expect(second).toEqual(first);
      delete process.env.HA_CONFIG_CACHE;
      writeFileSync(file, text.replace('name: host-5\n', 'name: host-4\n'));
      expect(() => loadConfig(file)).toThrow(ConfigError);
      expect(() => loadConfig(file)).toThrow(/host-4/);
    } finally {
      process.env = saved;
    }
  });
});
