// Where each registered capability's workflows and activities are, by convention:
// workflows/<name>/index and activities/<name>/index, next to src/ in the build output.
// Only the worker (and tests) load them; clients never do.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ActivityModule, Capability } from '../capability';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function moduleFile(kind: 'workflows' | 'activities', name: string): string | undefined {
  for (const ext of ['.js', '.ts']) {
    const f = path.join(ROOT, kind, name, `index${ext}`);
    if (existsSync(f)) return f;
  }
  return undefined;
}

/** The workflow modules of the capabilities, in registry order. */
export function workflowModules(caps: readonly Capability[]): string[] {
  return caps.flatMap((c) => {
    const f = moduleFile('workflows', c.name);
    return f ? [f] : [];
  });
}

/**
 * The bundle's entry: a file that re-exports every capability's workflows. Written to a fresh
 * temporary directory, so that adding a capability needs no edit of a shared index file.
 */
export function writeWorkflowEntry(caps: readonly Capability[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ha-workflows-'));
  const file = path.join(dir, 'index.js');
  writeFileSync(
    file,
    workflowModules(caps)
      .map((m) => `export * from ${JSON.stringify(m)};\n`)
      .join(''),
  );
  return file;
}

/**
 * Options for bundleWorkflowCode: the generated entry, and our node_modules for the SDK's own
 * imports (the bundler resolves them from the entry's directory, a temporary one).
 */
export function workflowBundleOptions(caps: readonly Capability[]) {
  const nodeModules = path.resolve(require.resolve('@temporalio/workflow/package.json'), '..', '..', '..');
  const workflowsPath = writeWorkflowEntry(caps);
  return {
    workflowsPath,
    /** Removes the generated entry once the bundle is built. */
    cleanup: () => rmSync(path.dirname(workflowsPath), { recursive: true, force: true }),
    webpackConfigHook: (config: { resolve?: { modules?: string[] } }) => {
      config.resolve = {
        ...config.resolve,
        modules: [...(config.resolve?.modules ?? ['node_modules']), nodeModules],
      };
      return config;
    },
  };
}

/** Every workflow function the bundle will register, by name. */
export function workflowExports(caps: readonly Capability[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- paths come from the registry
  for (const f of workflowModules(caps)) Object.assign(out, require(f) as Record<string, unknown>);
  return out;
}

/** The activity modules of the capabilities that have them. */
export function activityModules(
  caps: readonly Capability[],
): Array<{ name: string; module: ActivityModule }> {
  return caps.flatMap((c) => {
    const f = moduleFile('activities', c.name);
    if (!f) return [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- paths come from the registry
    const mod = (require(f) as { activityModule?: ActivityModule }).activityModule;
    if (!mod) throw new Error(`${f} does not export activityModule`);
    return [{ name: c.name, module: mod }];
  });
}
