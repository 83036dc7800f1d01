// The package version, read once from package.json (two levels up from both src/ and dist/src/).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, rel), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'ha-orchestrator' && pkg.version) return pkg.version;
    } catch {
      /* try the next */
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
