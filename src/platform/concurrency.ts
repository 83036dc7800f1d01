// Many independent calls to the server at once, but not all at once: a fleet's apply or status
// touches thousands of schedules and workflows, each a round trip that mostly waits.

/** Runs fn over items with at most `limit` in flight; resolves in order, rejects with the first error (after the rest finished). */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | null = null;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw (failure as { err: unknown }).err;
  return out;
}

/** How many server calls a CLI command keeps in flight. */
export const SERVER_CONCURRENCY = 16;
