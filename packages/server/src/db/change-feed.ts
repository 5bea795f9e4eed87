import type { FastifyBaseLogger } from 'fastify';
import { Client } from 'pg';
import type { EntityManager } from 'typeorm';

/**
 * Cache invalidation across instances. A change is announced with `announce(manager, change)`
 * inside the transaction that makes it; PostgreSQL delivers the NOTIFY to every instance
 * (this one included) when that transaction commits. Each instance LISTENs on one dedicated
 * connection, reconnects with backoff, and tells its subscribers to trust no cache while the
 * subscription is down and to start over when it is back (changes may have been missed).
 */
export const CHANGE_CHANNEL = 'tally_changes';

export type Change =
  /** One API key changed (revoked). */
  | { kind: 'api_key'; id: string }
  /** Every API key of a workspace changed (the team was deleted). */
  | { kind: 'workspace_keys'; id: string }
  /** A workspace's own row changed (renamed, deleted). */
  | { kind: 'workspace'; id: string };

const KINDS: ReadonlySet<string> = new Set(['api_key', 'workspace_keys', 'workspace']);

export function encodeChange(change: Change): string {
  return `${change.kind}:${change.id}`;
}

export function decodeChange(payload: string | undefined): Change | null {
  const match = /^([a-z_]+):([0-9a-f-]{36})$/i.exec(payload ?? '');
  const kind = match?.[1];
  const id = match?.[2];
  if (!kind || !id || !KINDS.has(kind)) return null;
  return { kind, id } as Change;
}

/** Announces a change; delivered to every instance when the manager's transaction commits. */
export async function announce(manager: EntityManager, change: Change): Promise<void> {
  await manager.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, encodeChange(change)]);
}

export interface ChangeSubscriber {
  onChange(change: Change): void;
  /** The subscription (re)started: whatever was cached may be stale. */
  onReset(): void;
  /** The subscription is down: cache nothing until onReset. */
  onLost(): void;
}

export class ChangeFeed {
  private readonly subscribers: ChangeSubscriber[] = [];
  private client: Client | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Whether this instance is listening right now (caches are trusted only then). */
  get connected(): boolean {
    return this.client !== null;
  }

  subscribe(subscriber: ChangeSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /** Applies a committed change on this instance at once (its NOTIFY arrives a moment later). */
  applyLocally(change: Change): void {
    for (const s of this.subscribers) s.onChange(change);
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'tally-change-feed' });
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL) return;
      const change = decodeChange(message.payload);
      if (change) for (const s of this.subscribers) s.onChange(change);
    });
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'change feed lost its database connection');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    this.client = client;
    this.attempt = 0;
    for (const s of this.subscribers) s.onReset();
  }

  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    for (const s of this.subscribers) s.onLost();
    if (this.stopped) return;
    const delay = Math.min(30_000, 250 * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch((error: unknown) => {
        this.log.warn({ err: error }, 'change feed could not reconnect');
        this.client = client; // so that lost() schedules the next attempt
        this.lost(client);
      });
    }, delay);
    this.retryTimer.unref();
  }
}
