// The environment a worker process should start with; whatever starts one (hactl dev, the
// Dockerfile, a service unit, the fleet bench) sets it. It must be there at exec: glibc reads it
// before the first allocation, so a running worker cannot set it for itself.

/**
 * glibc gives each thread that allocates its own malloc arena; the SDK's Rust threads and
 * libuv's pool each took one, and fragmentation in them grew an idle host worker by several
 * MiB. Two arenas are what busy, many-threaded servers are commonly run with. A value already in
 * the environment wins.
 */
export const WORKER_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...WORKER_PROCESS_ENV, ...env };
}
