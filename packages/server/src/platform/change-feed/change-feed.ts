import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { Client, type Pool } from 'pg';
import type { EntityManager } from 'typeorm';

/**
 * Cache invalidation across instances. A change is announced with `announce(manager, change)`
 * inside the transaction that makes it; PostgreSQL delivers the NOTIFY to every instance
 * (this one included) when that transaction commits. Each instance LISTENs on one dedicated
 * connection, reconnects with backoff, and tells its subscribers to trust no cache while the
 * subscription is down and to start over when it is back (changes may have been missed).
 *
 * A connection can also die silently (a NAT or load balancer drops it, a network partition):
 * nothing arrives and nothing closes. So the instance sends itself a heartbeat through its
 * pool every `heartbeatMs`, on a channel of its own; when one has not come back through the
 * listening connection by the next beat, the feed counts as lost (caches emptied, nothing
 * served from memory, a warning logged) and reconnects. TCP keep-alive covers the socket.
 */
export const CHANGE_CHANNEL = 'tally_changes';

export type Change =
  /** One API key changed (revoked). */
  | { kind: 'api_key'; id: string }
  /** Every API key of a workspace changed (the team was deleted). */
  | { kind: 'workspace_keys'; id: string }
  /** A workspace's own row changed (renamed, deleted). */
  | { kind: 'workspace'; id: string }
  /** A login family ended (log out, refresh-token reuse): its access tokens are refused. */
  | { kind: 'session_family'; id: string };

const KINDS: ReadonlySet<string> = new Set(['api_key', 'workspace_keys', 'workspace', 'session_family']);

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

export interface ChangeFeedOptions {
  /** Sends the heartbeats (the server's pool): another connection than the listening one. */
  pool: Pool;
  /** How often a heartbeat is sent; a silent connection is found within two. Default 1 s. */
  heartbeatMs?: number;
  /** The URL the listening connection uses (tests put a proxy here); default: databaseUrl. */
  listenUrl?: string;
}

export class ChangeFeed {
  private readonly subscribers: ChangeSubscriber[] = [];
  private client: Client | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private readonly heartbeatChannel = `tally_heartbeat_${randomBytes(8).toString('hex')}`;
  private readonly heartbeatMs: number;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatSent = 0;
  private heartbeatCommitted = 0;
  private heartbeatCommittedAt = 0;
  private heartbeatSeen = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: FastifyBaseLogger,
    private readonly options: ChangeFeedOptions,
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
  }

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
    this.heartbeatTimer = setInterval(() => this.beat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    const client = this.client;
    this.client = null;
    if (client) await client.end().catch(() => undefined);
  }

  /**
   * Checks that the last heartbeat PostgreSQL accepted came back, then sends the next one. A
   * heartbeat still queued in a busy pool proves nothing either way, so only one whose NOTIFY
   * committed at least half a beat ago and never arrived counts against the connection.
   */
  private beat(): void {
    const client = this.client;
    if (!client) return;
    if (
      this.heartbeatCommitted > this.heartbeatSeen &&
      Date.now() - this.heartbeatCommittedAt >= this.heartbeatMs / 2
    ) {
      this.log.warn(
        { heartbeatMs: this.heartbeatMs },
        'change feed stopped receiving (a heartbeat did not come back): caches emptied, reconnecting',
      );
      this.lost(client);
      client.connection.stream.destroy();
      return;
    }
    const seq = ++this.heartbeatSent;
    this.options.pool.query('SELECT pg_notify($1, $2)', [this.heartbeatChannel, String(seq)]).then(
      () => {
        if (seq <= this.heartbeatCommitted) return;
        this.heartbeatCommitted = seq;
        this.heartbeatCommittedAt = Date.now();
      },
      (error: unknown) => this.log.warn({ err: error }, 'change feed could not send its heartbeat'),
    );
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.options.listenUrl ?? this.databaseUrl,
      application_name: 'tally-change-feed',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 10_000,
      // A LISTEN that never answers (a dead path) must not leave the feed waiting for ever.
      query_timeout: 10_000,
    });
    client.on('notification', (message) => {
      if (message.channel === this.heartbeatChannel) {
        this.heartbeatSeen = Math.max(this.heartbeatSeen, Number(message.payload));
        return;
      }
      if (message.channel !== CHANGE_CHANNEL) return;
      const change = decodeChange(message.payload);
      if (change) for (const s of this.subscribers) s.onChange(change);
    });
    client.on('error', (error) => {
      if (this.client === client && !this.stopped) {
        this.log.warn({ err: error }, 'change feed lost its database connection');
      }
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      await client.query(`LISTEN ${this.heartbeatChannel}`);
    } catch (error) {
      client.connection.stream.destroy();
      throw error;
    }
    this.client = client;
    this.attempt = 0;
    // Heartbeats sent before this connection listened can never arrive on it.
    this.heartbeatSeen = this.heartbeatSent;
    this.heartbeatCommitted = Math.min(this.heartbeatCommitted, this.heartbeatSeen);
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
