// A command from the config: run on a host as an argv array (no shell unless asked for), with a
// timeout. Backups, hooks, DR steps, failover actions and service restarts all use this shape.

export interface CommandSpec {
  argv: string[];
  timeoutMs: number;
  /** Values may hold ${ENV} references, resolved by the activity on its host. */
  env: Record<string, string>;
  shell: boolean;
  cwd?: string;
}
