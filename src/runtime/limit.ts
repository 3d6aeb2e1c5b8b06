/** Bounded concurrency for I/O over many files: a glob of 20,000 files must not open them all at once (EMFILE). */

/** Open files at most at a time when hashing or stat-ing a file list. */
export const FILE_CONCURRENCY = 16;

/** `Promise.all(items.map(fn))` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  // every worker has settled before this returns: no file is still being opened after an error
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
  return out;
}
