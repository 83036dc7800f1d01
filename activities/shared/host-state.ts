// Where a host's worker keeps its own records (the restore journal, for one).
import * as os from 'node:os';
import * as path from 'node:path';

/** HA_STATE_DIR/hosts/<host>; HA_STATE_DIR defaults to /var/lib (root) or the XDG state home. */
export function hostStateDir(host: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateRoot(env), 'hosts', host);
}

/**
 * HA_STATE_DIR/dr-scratch/<host>: where DR drills restore. Outside the host's state directory,
 * which restores must never write into (it holds the restore journal).
 */
export function drillScratchDir(host: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateRoot(env), 'dr-scratch', host);
}

function stateRoot(env: NodeJS.ProcessEnv): string {
  return (
    env.HA_STATE_DIR ??
    (process.getuid?.() === 0
      ? '/var/lib/ha-orchestrator'
      : path.join(env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'ha-orchestrator'))
  );
}
