// Instant search sends a query on every keystroke; answers can come back out of order. `latest`
// wraps an async function so only the answer to the most recent call is delivered.

export function latest<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<{ fresh: true; value: R } | { fresh: false }> {
  let seq = 0;
  return async (...args: A) => {
    const mine = ++seq;
    const value = await fn(...args);
    return mine === seq ? { fresh: true, value } : { fresh: false };
  };
}
