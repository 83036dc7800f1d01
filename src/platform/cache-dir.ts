// Where ha-orchestrator keeps what it builds or learns on this machine (the Temporal CLI it
// built, validated configs, compiled code): never inside the checkout.
import * as os from 'node:os';
import * as path from 'node:path';

/** $HA_CACHE_DIR, else $XDG_CACHE_HOME/ha-orchestrator, else ~/.cache/ha-orchestrator. */
export function cacheRoot(): string {
  if (process.env.HA_CACHE_DIR) return process.env.HA_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'ha-orchestrator');
}
