// The real restic, to check our retention against it (see go-tools.ts for how it is built).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ensureGoTool, RESTIC } from './go-tools';

export const RESTIC_VERSION = RESTIC.version;

export async function ensureRestic(log: (l: string) => void): Promise<string> {
  const env = process.env.RESTIC_BIN;
  if (env) return env;
  return path.join(await ensureGoTool(RESTIC, log), 'restic');
}

export function resticVersion(bin: string): string {
  return spawnSync(bin, ['version'], { encoding: 'utf8' }).stdout.trim();
}
