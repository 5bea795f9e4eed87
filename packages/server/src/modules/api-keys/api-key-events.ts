import { Client } from 'pg';
import type { FastifyBaseLogger } from 'fastify';

/** The channel every instance listens on; payloads are `key:<id>` or `workspace:<id>`. */
export const API_KEY_CHANNEL = 'tally_api_keys';

export type ApiKeyChange = { kind: 'key'; id: string } | { kind: 'workspace'; id: string };

export function encodeChange(change: ApiKeyChange): string {
  return `${change.kind}:${change.id}`;
}

function decodeChange(payload: string | undefined): ApiKeyChange | null {
  const match = /^(key|workspace):([0-9a-f-]{36})$/i.exec(payload ?? '');
  if (!match?.[1] || !match[2]) return null;
  return { kind: match[1] === 'key' ? 'key' : 'workspace', id: match[2] };
}

export interface ApiKeyChangeHandlers {
  onChange(change: ApiKeyChange): void;
  /** The subscription (re)started: changes may have been missed, so caches start over. */
  onReset(): void;
  /** The subscription is down: caches must not be trusted until onReset. */
  onLost(): void;
}

/**
 * Listens for key revocations on a dedicated PostgreSQL connection (LISTEN/NOTIFY), so that a
 * change made on any instance empties the verify caches of every instance. Reconnects with
 * backoff; while disconnected the handlers are told to trust nothing.
 */
export class ApiKeyChangeListener {
  private client: Client | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly handlers: ApiKeyChangeHandlers,
    private readonly log: FastifyBaseLogger,
  ) {}

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
    const client = new Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel !== API_KEY_CHANNEL) return;
      const change = decodeChange(message.payload);
      if (change) this.handlers.onChange(change);
    });
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'API key change listener lost its connection');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${API_KEY_CHANNEL}`);
    this.client = client;
    this.attempt = 0;
    this.handlers.onReset();
  }

  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.handlers.onLost();
    if (this.stopped) return;
    const delay = Math.min(30_000, 250 * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch((error: unknown) => {
        this.log.warn({ err: error }, 'API key change listener could not reconnect');
        this.client = client; // let lost() schedule the next attempt
        this.lost(client);
      });
    }, delay);
    this.retryTimer.unref();
  }
}
