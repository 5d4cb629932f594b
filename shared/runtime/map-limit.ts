/**
 * Runs `work` over `items` with at most `limit` in flight and returns the results in input order.
 * Per-item work in a tick (status writes, metric queries) is independent, so it runs concurrently, but
 * bounded: the API server and DynamoDB see a steady trickle, not a burst of a thousand requests.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
