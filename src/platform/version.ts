// The package version, read once from the package.json above this file (from src/ and dist/src/).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

function readVersion(): string {
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'ha-orchestrator' && pkg.version) return pkg.version;
    } catch {
      /* try the next one up */
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
