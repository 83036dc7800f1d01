// V8's compiled code for hactl's modules, kept on disk between runs. A short command spends
// much of its start-up compiling the Temporal client, gRPC, protobuf and zod: on the 50-host
// bench fleet, loading the modules of `hactl status` took 440-590 ms, 380-475 ms from this
// cache. Node 22 has this built in (`module.enableCompileCache`), which is used where it exists;
// Node 20 gets the same from V8's code cache through `vm.Script`.
//
// Installed by bin/hactl.js before anything else is loaded: this file (and cache-dir) use node:
// modules only.
// Each module's entry is keyed by its path, size and modification time (V8 itself checks only
// the source's length), so an edited or rebuilt file is compiled afresh. Any failure to read or write the cache is
// ignored: the command runs as it would without it. HA_COMPILE_CACHE=off turns it off; =stats
// says at exit how many modules came from it.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { cacheRoot } from '../cache-dir';

export const COMPILE_CACHE_ENV = 'HA_COMPILE_CACHE';
const MAGIC = 'ha-ccache-2';
/** How long a process uses the cache: its start-up. */
const START_MS = 5000;

interface ModuleInternals {
  _compile(content: string, filename: string): unknown;
  require(id: string): unknown;
  exports: unknown;
}
type ModuleStatics = {
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _extensions: unknown;
  _cache: unknown;
  enableCompileCache?: (dir: string) => unknown;
};

/** What the cache did in this process (for tests and `HA_COMPILE_CACHE=stats`). */
export const compileCacheStats = { hits: 0, misses: 0, rejected: 0 };

/** The cache file's entries: path -> source key and V8's data. */
export type CacheEntries = Map<string, { source: string; data: Buffer }>;

/** Reads a cache file; a missing, foreign or damaged one is an empty cache. */
export function readCache(file: string): CacheEntries {
  const out: CacheEntries = new Map();
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return out;
  }
  try {
    let at = 0;
    const str = (): string => {
      const n = buf.readUInt32LE(at);
      const s = buf.toString('utf8', at + 4, at + 4 + n);
      at += 4 + n;
      return s;
    };
    if (str() !== MAGIC) return out;
    const count = buf.readUInt32LE(at);
    at += 4;
    for (let i = 0; i < count; i++) {
      const file = str();
      const source = str();
      const n = buf.readUInt32LE(at);
      if (at + 4 + n > buf.length) return new Map();
      out.set(file, { source, data: buf.subarray(at + 4, at + 4 + n) });
      at += 4 + n;
    }
  } catch {
    return new Map();
  }
  return out;
}

/** Writes a cache file whole (a temporary file, then a rename: readers never see half of one). */
export function writeCache(file: string, entries: CacheEntries): void {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const str = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    parts.push(u32(b.length), b);
  };
  str(MAGIC);
  parts.push(u32(entries.size));
  for (const [f, e] of entries) {
    str(f);
    str(e.source);
    parts.push(u32(e.data.length), e.data);
  }
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat(parts), { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * What identifies a module's source: its file's size and modification time, and the length of
 * the text (as Python's .pyc does; a hash of every module's text would load node:crypto and
 * cost more than a short command saves).
 */
function sourceKey(filename: string, content: string): string {
  try {
    const s = statSync(filename);
    return `${s.size}:${s.mtimeMs}:${content.length}`;
  } catch {
    return '';
  }
}

/** The Temporal SDK: where a command's start-up gets long, and where the cache starts. */
const TEMPORAL_SDK = `${path.sep}node_modules${path.sep}@temporalio${path.sep}`;

/**
 * Compiles the CommonJS modules loaded from now on through V8's code cache in `dir`, from the
 * first one `from` names (default: the first module of the Temporal SDK). Those before it, the
 * CLI's entry and its command table, compile as usual: `hactl --help` would otherwise pay for
 * reading the whole cache and gain nothing. Returns what it did: 'builtin' (Node's own cache),
 * 'vm' (ours), or 'off'.
 */
export function installCompileCache(
  dir = path.join(cacheRoot(), 'compiled'),
  opts: { env?: NodeJS.ProcessEnv; from?: (filename: string) => boolean } = {},
): 'builtin' | 'vm' | 'off' {
  const env = opts.env ?? process.env;
  const from = opts.from ?? ((f: string) => f.includes(TEMPORAL_SDK));
  // Coverage is measured on what Node's own loader compiles: under NODE_V8_COVERAGE, off.
  if (env[COMPILE_CACHE_ENV] === 'off' || env.NODE_V8_COVERAGE) return 'off';
  const M = Module as unknown as ModuleStatics;
  if (typeof M.enableCompileCache === 'function') {
    try {
      M.enableCompileCache(dir);
      return 'builtin';
    } catch {
      return 'off';
    }
  }
  const file = path.join(dir, `v8-${process.version}-${process.arch}.bin`);
  let entries: CacheEntries | undefined;
  const compiled: Array<[string, string, vm.Script]> = [];
  const proto = (Module as unknown as { prototype: ModuleInternals }).prototype;
  const original = Object.getOwnPropertyDescriptor(proto, '_compile')!;
  proto._compile = function compile(this: ModuleInternals, content: string, filename: string): unknown {
    if (!entries) {
      if (!from(filename))
        return (original.value as ModuleInternals['_compile']).call(this, content, filename);
      entries = readCache(file);
    }
    // As Node's own loader: a #! line is not JavaScript (kept as an empty line: lines still match).
    if (content.startsWith('#!')) content = content.replace(/^#![^\n]*/, '');
    const source = sourceKey(filename, content);
    const had = entries.get(filename);
    const cachedData = source && had && had.source === source ? had.data : undefined;
    const script = new vm.Script(M.wrap(content), { filename, ...(cachedData ? { cachedData } : {}) });
    if (!cachedData) compileCacheStats.misses++;
    else if (script.cachedDataRejected) compileCacheStats.rejected++;
    else compileCacheStats.hits++;
    if (source && (!cachedData || script.cachedDataRejected)) compiled.push([filename, source, script]);
    const run = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return run.call(this.exports, this.exports, requireFor(this, M), this, filename, path.dirname(filename));
  };
  // The data is taken at exit, when it holds every function the command compiled, not only the
  // top level of each module. A long-running command (a worker) gives up the cache after its
  // start instead, so that it does not hold the file in memory for its whole life. Nothing
  // new: nothing written.
  let done = false;
  const flush = (): void => {
    if (done) return;
    done = true;
    Object.defineProperty(proto, '_compile', original);
    if (env[COMPILE_CACHE_ENV] === 'stats')
      process.stderr.write(`compile cache: ${JSON.stringify(compileCacheStats)}\n`);
    try {
      if (compiled.length > 0) {
        const fresh = readCache(file); // another hactl may have added its modules meanwhile
        for (const [f, e] of entries ?? []) if (!fresh.has(f)) fresh.set(f, e);
        for (const [f, source, script] of compiled) fresh.set(f, { source, data: script.createCachedData() });
        // Modules that are gone (an old checkout, a removed build) leave with this write.
        for (const f of fresh.keys()) if (!existsSync(f)) fresh.delete(f);
        writeCache(file, fresh);
      }
    } catch {
      /* a cache that cannot be written is no cache */
    }
    entries = new Map();
    compiled.length = 0;
  };
  process.once('exit', flush);
  setTimeout(flush, START_MS).unref();
  return 'vm';
}

/** The `require` a module's code is given, as Node builds it. */
function requireFor(mod: ModuleInternals, M: ModuleStatics): NodeJS.Require {
  const req = ((id: string) => mod.require(id)) as NodeJS.Require;
  req.resolve = ((request: string, options?: unknown) =>
    M._resolveFilename(request, mod, false, options)) as NodeJS.RequireResolve;
  req.resolve.paths = (request: string) => M._resolveLookupPaths(request, mod);
  req.main = require.main;
  req.extensions = M._extensions as NodeJS.RequireExtensions;
  req.cache = M._cache as NodeJS.Dict<NodeJS.Module>;
  return req;
}
