// Errors on the client side (hactl, the typed API) carry the exit code they mean, so that the
// CLI maps every error in one place: 2 for bad input, 1 for a failure. Failure *types* of
// activities (ApplicationFailure types) are strings; each capability lists its own.

export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

/** Base of every error the CLI reports as one line with its own exit code. */
export class HaError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** What the CLI prints for it, on stderr. */
  lines(): string[] {
    return [`error: ${this.message}`];
  }
}

/** The input (a flag, a name, a time, a path) is wrong: exit 2, nothing was done. */
export class BadInput extends HaError {
  constructor(message: string) {
    super(message, EXIT.badInput);
  }
}

/** Something that was started or asked for did not work: exit 1. */
export class OperationFailed extends HaError {
  constructor(message: string) {
    super(message, EXIT.failure);
  }
}

/**
 * The innermost cause of an error chain (workflow failure → activity failure → application
 * failure): the one that says what really happened, with its failure type if it has one.
 */
export function innermostCause(err: unknown): { message: string; type?: string; timeoutType?: string } {
  let e = err as { cause?: unknown; message?: string; type?: string; timeoutType?: string } | undefined;
  while (e?.cause) e = e.cause;
  return {
    message: e?.message ?? String(err),
    ...(e?.type ? { type: e.type } : {}),
    ...(e?.timeoutType ? { timeoutType: e.timeoutType } : {}),
  };
}

/** Failure types shared by every capability that runs commands or takes input. */
export const CORE_FAILURES = {
  badInput: 'BadInput',
  secretMissing: 'SecretMissing',
  commandNotFound: 'CommandNotFound',
  commandFailed: 'CommandFailed',
  commandTimeout: 'CommandTimeout',
  hookFailed: 'HookFailed',
} as const;
