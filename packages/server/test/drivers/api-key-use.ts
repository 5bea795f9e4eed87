import type { Tally } from '../../src/server';

/**
 * Counts the `last_used_at` writes a Tally issues from now on, by watching its data source
 * (the verifier keeps no counter for tests). `stop()` ends the watch.
 */
export function watchLastUsedWrites(tally: Tally): { readonly count: number; stop(): void } {
  const spy = jest.spyOn(tally.db, 'query');
  return {
    get count() {
      return spy.mock.calls.filter(([sql]) => String(sql).startsWith('UPDATE api_keys SET last_used_at')).length;
    },
    stop: () => spy.mockRestore(),
  };
}
