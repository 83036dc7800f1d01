// The environment a worker process should start with; whatever starts one (hactl dev, the
// Dockerfile, a service unit, the fleet bench) sets it. It must be there at exec: glibc reads it
// before the first allocation, so a running worker cannot set it for itself.

/**
 * glibc gives each thread that allocates its own malloc arena; the SDK's Rust threads and
 * libuv's pool each took one, and fragmentation in them grew an idle host worker by several
 * MiB. Two arenas are what busy, many-threaded servers are commonly run with.
 *
 * glibc also raises its mmap threshold (and with it the trim threshold, up to 64 MiB) each time
 * a large block is freed: after a backup's buffers, later large blocks came from the heap and
 * freed memory stayed in the process. Fixing both at glibc's own starting value (128 KiB) keeps
 * large blocks in their own mappings and hands freed heap back. Measured on a 50-host fleet,
 * three rounds of 20 backups and 3 health fan-outs per host: 115 MiB without, 107 MiB with.
 *
 * A value already in the environment wins.
 */
export const WORKER_PROCESS_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...WORKER_PROCESS_ENV, ...env };
}
