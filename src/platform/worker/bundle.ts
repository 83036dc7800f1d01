// The workflow bundle, built once at build time (`npm run build`) into dist/workflow-bundle.js
// and loaded from disk by every worker that runs workflows, instead of bundling at each start
// (seconds of CPU and ~100 MB of webpack per worker). Run as a script, it (re)builds the bundle
// when any compiled workflow or source file is newer than it.
import { existsSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { CAPABILITIES } from '../../registry';
import { workflowBundleOptions } from './modules';

/** The build output's root (dist/), where this file is dist/src/platform/worker/bundle.js. */
const OUT = path.resolve(__dirname, '..', '..', '..');

export const BUNDLE_FILE = path.join(OUT, 'workflow-bundle.js');

function newestJs(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestJs(p));
    else if (e.name.endsWith('.js')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The bundle exists and no compiled workflow (or what workflows import) is newer. */
export function bundleIsFresh(file = BUNDLE_FILE): boolean {
  if (!existsSync(file)) return false;
  const built = statSync(file).mtimeMs;
  return newestJs(path.join(OUT, 'workflows')) <= built && newestJs(path.join(OUT, 'src')) <= built;
}

/** Bundles every capability's workflows into `file` (written whole, then renamed). */
export async function buildWorkflowBundle(file = BUNDLE_FILE): Promise<string> {
  const { cleanup, ...options } = workflowBundleOptions(CAPABILITIES);
  try {
    const { code } = await bundleWorkflowCode({ ...options, logger: new DefaultLogger('WARN') });
    const partial = `${file}.partial-${process.pid}`;
    writeFileSync(partial, code);
    renameSync(partial, file);
    return file;
  } finally {
    cleanup();
  }
}

/** The prebuilt bundle, rebuilt first when it is missing or older than the code. */
export async function ensureWorkflowBundle(log?: (line: string) => void): Promise<string> {
  if (bundleIsFresh()) return BUNDLE_FILE;
  log?.(`bundling the workflows into ${path.relative(process.cwd(), BUNDLE_FILE) || BUNDLE_FILE} ...`);
  return buildWorkflowBundle();
}

if (require.main === module) {
  ensureWorkflowBundle((line) => console.error(`[build] ${line}`)).catch((err: Error) => {
    console.error(`[build] bundling the workflows failed: ${err.message}`);
    process.exit(1);
  });
}
