// Validated configs, kept on disk. A config is a pure function of its text, the path it was read
// from (relative paths resolve against its directory) and the code that validates it. A fleet's
// config takes `hactl` a third of a second of CPU to parse and check (a fifth of `hactl status`
// on the 50-host bench fleet); read back from here it takes a few milliseconds. Only valid configs are kept,
// so every mistake is still found and reported by the full pipeline.
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { cacheRoot } from '../cache-dir';

/** HA_CONFIG_CACHE=off: every command parses the file itself. */
export const CONFIG_CACHE_ENV = 'HA_CONFIG_CACHE';
/** Entries kept (one per distinct config text and path); the least recently used go. */
export const CONFIG_CACHE_ENTRIES = 32;
/** Smaller configs parse in a few milliseconds: caching them would cost more than it saves. */
export const CONFIG_CACHE_MIN_BYTES = 32 * 1024;

export function configCacheDir(): string {
  return path.join(cacheRoot(), 'configs');
}

/** The package's dist directory (this file is dist/src/platform/config/cache.js), and its root. */
const DIST = path.resolve(__dirname, '..', '..', '..');
const ROOT = path.dirname(DIST);

function jsFiles(dir: string, out: string[]): string[] {
  let names;
  try {
    names = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of names) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) jsFiles(p, out);
    else if (e.name.endsWith('.js')) out.push(p);
  }
  return out;
}

let fingerprint: string | undefined;

/**
 * What identifies the validating code: the size and mtime of TypeScript's build record
 * (dist/.tsbuildinfo, rewritten by every build that changes any output) and of npm's record of
 * the installed dependencies (zod, js-yaml). Without a build record, every compiled file of the
 * package (about 240 stats, 25 ms here). Read once per process.
 */
export function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const record = path.join(DIST, '.tsbuildinfo');
  const files = [
    record,
    path.join(ROOT, 'package.json'),
    path.join(ROOT, 'node_modules', '.package-lock.json'),
  ];
  try {
    statSync(record);
  } catch {
    for (const d of ['src', 'workflows', 'activities']) files.push(...jsFiles(path.join(DIST, d), []));
  }
  const h = createHash('sha256');
  for (const f of files.sort()) {
    try {
      const s = statSync(f);
      h.update(`${f}\0${s.size}\0${s.mtimeMs}\n`);
    } catch {
      h.update(`${f}\0-\n`);
    }
  }
  return (fingerprint = h.digest('hex'));
}

interface Entry<T> {
  key: string;
  config: T;
}

/**
 * The config for this text at this path: from the cache when an earlier run validated the same
 * text, path and code; otherwise `parse()` (which throws for a bad config, and nothing is kept),
 * kept for next time when its value survives JSON unchanged. The cache is an optimisation only:
 * any failure to read or write it falls back to parsing.
 */
export function cachedConfig<T>(
  text: string,
  absPath: string,
  parse: () => T,
  opts: { dir?: string; fingerprint?: () => string; env?: NodeJS.ProcessEnv; minBytes?: number } = {},
): T {
  if ((opts.env ?? process.env)[CONFIG_CACHE_ENV] === 'off') return parse();
  if (text.length < (opts.minBytes ?? CONFIG_CACHE_MIN_BYTES)) return parse();
  const dir = opts.dir ?? configCacheDir();
  let key: string;
  let file: string;
  try {
    key = createHash('sha256')
      .update(`${absPath}\0${(opts.fingerprint ?? codeFingerprint)()}\0`)
      .update(text)
      .digest('hex');
    file = path.join(dir, `${key.slice(0, 32)}.json`);
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Entry<T>;
    if (entry.key === key) {
      touch(file);
      return entry.config;
    }
  } catch {
    /* not there (or unreadable): parse */
  }
  const config = parse();
  if (key! !== undefined) store(dir, file!, key!, config);
  return config;
}

function store<T>(dir: string, file: string, key: string, config: T): void {
  try {
    const json = JSON.stringify({ key, config } satisfies Entry<T>);
    // A value JSON cannot carry (undefined, a Date, a Set) would come back different: not kept.
    if (!isDeepStrictEqual((JSON.parse(json) as Entry<T>).config, config)) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Written whole, then renamed: a reader never sees half a file, and two writers of the same
    // entry write the same bytes.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, json, { mode: 0o600 });
    renameSync(tmp, file);
    prune(dir);
  } catch {
    /* a cache that cannot be written is no cache */
  }
}

/** Marks an entry used (pruning keeps the most recently used). */
function touch(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    /* removed meanwhile: no matter */
  }
}

function prune(dir: string): void {
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      try {
        return { f, at: statSync(path.join(dir, f)).mtimeMs };
      } catch {
        return { f, at: 0 };
      }
    })
    .sort((a, b) => b.at - a.at);
  for (const e of entries.slice(CONFIG_CACHE_ENTRIES)) rmSync(path.join(dir, e.f), { force: true });
}
