import { LRUCache } from 'lru-cache';
import type { Clock } from '../clock';
import type { Change, ChangeSubscriber } from './change-feed';

/**
 * How long an entry is kept at most. Changes arrive by NOTIFY at once; this lifetime is only a
 * backstop should a change be missed in a way the change feed's heartbeat cannot see.
 */
export const BACKSTOP_TTL_MS = 60_000;

export interface InvalidatedCacheOptions<V extends object> {
  max: number;
  ttlMs: number;
  /** The clock the lifetime is measured by (default the system's). */
  perf?: { now: Clock } | undefined;
  /** Whether a change makes this entry stale. */
  isStale(change: Change, key: string, value: V): boolean;
}

/**
 * An in-memory cache that the change feed keeps honest across instances: entries touched by
 * a change are dropped, a load that raced a change is answered but not kept, and nothing is
 * kept while the feed is down (then every read goes to the database).
 */
export class InvalidatedCache<V extends object> implements ChangeSubscriber {
  private readonly lru: LRUCache<string, V>;
  private generation = 0;
  private trusted = false;

  constructor(private readonly options: InvalidatedCacheOptions<V>) {
    this.lru = new LRUCache<string, V>({
      max: options.max,
      ttl: options.ttlMs,
      ...(options.perf ? { perf: options.perf } : {}),
    });
  }

  get(key: string): V | undefined {
    return this.trusted ? this.lru.get(key) : undefined;
  }

  /** The cached value, or `load()`'s, which is kept unless a change arrived meanwhile. */
  async getOrLoad(key: string, load: () => Promise<V | null>): Promise<V | null> {
    const cached = this.get(key);
    if (cached) return cached;
    const generation = this.generation;
    const loaded = await load();
    if (loaded && this.trusted && generation === this.generation) this.lru.set(key, loaded);
    return loaded;
  }

  onChange(change: Change): void {
    this.generation += 1;
    for (const [key, value] of this.lru.entries()) {
      if (this.options.isStale(change, key, value)) this.lru.delete(key);
    }
  }

  onReset(): void {
    this.generation += 1;
    this.lru.clear();
    this.trusted = true;
  }

  onLost(): void {
    this.generation += 1;
    this.trusted = false;
    this.lru.clear();
  }
}
