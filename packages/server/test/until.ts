/**
 * Polls `condition` every 50 ms until it holds; fails naming `what` after `timeoutMs`. Returns
 * the milliseconds it took. For state reached asynchronously: never sleep a fixed time instead.
 */
export async function until(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}
