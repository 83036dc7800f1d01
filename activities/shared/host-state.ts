// Where a host's worker keeps its own records (the restore journal, for one).
import * as os from 'node:os';
import * as path from 'node:path';

/** HA_STATE_DIR/hosts/<host>; HA_STATE_DIR defaults to /var/lib (root) or the XDG state home. */
export function hostStateDir(host: string, env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.HA_STATE_DIR ??
    (process.getuid?.() === 0
      ? '/var/lib/ha-orchestrator'
      : path.join(env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'ha-orchestrator'));
  return path.join(base, 'hosts', host);
}
