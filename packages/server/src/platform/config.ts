import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseEnv } from 'node:util';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { z } from 'zod';

/**
 * The one reader of process.env. Everything else receives a parsed, validated Config, so a
 * typo in a setting fails at start-up with a message that names the setting.
 */
const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const urlString = (protocols: string[]) =>
  optionalString.refine(
    (value) => value === undefined || protocols.some((p) => value.startsWith(`${p}:`)),
    `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
  );

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: urlString(['postgres', 'postgresql']),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  DATA_DIR: z.string().min(1).default('.data'),
  EMBEDDED_PG_DIR: z.string().min(1).default('/var/lib/tally'),
  PUBLIC_URL: urlString(['http', 'https']),
  SMTP_URL: urlString(['smtp', 'smtps']),
  MAIL_FROM: z.string().min(3).default('Tally <no-reply@tally.local>'),
  JWT_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  JWT_SECRET_FILE: optionalString,
  CORS_ORIGINS: optionalString,
  TRUST_PROXY: z.string().default('false').transform(parseTrustProxy),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WEB_DIST_DIR: optionalString,
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(50),
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  SIGNUP_MAX_PER_ADDRESS: z.coerce.number().int().min(1).default(30),
  SIGNUP_WINDOW_SECONDS: z.coerce.number().int().min(1).default(3600),
  API_KEY_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(100),
  API_KEY_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  INVITATIONS_PER_INVITER_PER_HOUR: z.coerce.number().int().min(1).default(50),
  INVITATIONS_PER_WORKSPACE_PER_HOUR: z.coerce.number().int().min(1).default(100),
  INVITATIONS_PER_EMAIL_PER_DAY: z.coerce.number().int().min(1).default(5),
  PASSWORD_RESETS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(20),
  PASSWORD_RESETS_PER_EMAIL_PER_HOUR: z.coerce.number().int().min(1).default(3),
  INGEST_EVENTS_PER_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(300_000),
  ANALYTICS_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  ANALYTICS_QUERIES_PER_REQUEST: z.coerce.number().int().min(1).max(100).default(3),
  ANALYTICS_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5000),
  ANALYTICS_QUERIES_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  API_KEY_MAX_EVENTS_PER_MINUTE: z.coerce.number().int().min(1).optional(),
  API_KEY_MAX_QUERIES_PER_MINUTE: z.coerce.number().int().min(1).optional(),
  EVENTS_STORE: z.enum(['postgres', 'clickhouse']).default('postgres'),
  CLICKHOUSE_URL: urlString(['http', 'https']).refine(
    (value) => value === undefined || URL.canParse(value),
    'must be a URL such as http://user:password@host:8123/database',
  ),
  CLICKHOUSE_MAX_QUERY_MEMORY_MB: z.coerce.number().int().min(16).max(1_048_576).default(2048),
  CHDB_DIR: optionalString,
  XDG_CACHE_HOME: optionalString,
  EVENT_TIMESTAMP_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(36_500).default(366),
  EVENT_TIMESTAMP_MAX_AHEAD_HOURS: z.coerce.number().int().min(0).max(8_784).default(24),
  METRICS_TOKEN: optionalString.refine(
    (v) => v === undefined || (v.length >= 16 && !/\s/.test(v)),
    'must be at least 16 characters, without spaces',
  ),
  METRICS_OPERATION_NAMES: optionalString.transform((value, ctx) => {
    const names = (value ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const bad = names.filter((name) => !/^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name));
    if (bad.length > 0 || names.length > 500) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be up to 500 GraphQL operation names (≤ 64 characters each), comma-separated',
      });
      return z.NEVER;
    }
    return names;
  }),
  METRICS_PORT: optionalString.transform((value, ctx) => {
    if (value === undefined) return undefined;
    if (/^\d{1,5}$/.test(value) && Number(value) <= 65535) return Number(value);
    ctx.addIssue({ code: 'custom', message: 'must be a port number (0-65535), e.g. METRICS_PORT=9464' });
    return z.NEVER;
  }),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // Exports (GET /v1/export/events): each running one holds a connection of the events pool (10).
  EXPORT_MAX_CONCURRENT: z.coerce.number().int().min(1).max(8).default(4),
  EXPORT_MAX_CONCURRENT_PER_WORKSPACE: z.coerce.number().int().min(1).max(8).default(2),
  EXPORT_STALL_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  TALLY_URL: urlString(['http', 'https']),
});

/** What Fastify may believe of X-Forwarded-For: nothing, the last N hops, or these proxies. */
export type TrustProxy = false | number | string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  return bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

/**
 * `false`, a hop count, or a list of proxy addresses/CIDRs. `true` would take the left-most
 * X-Forwarded-For address, which any client writes, so it is refused with what to write; so is
 * a /0 range (0.0.0.0/0, ::/0), which trusts every address just the same (and which Fastify's
 * proxy-addr throws on at start).
 */
function parseTrustProxy(raw: string, ctx: z.RefinementCtx): TrustProxy {
  const value = raw.trim().toLowerCase();
  if (value === '' || value === 'false' || value === '0') return false;
  if (value === 'true') {
    ctx.addIssue({
      code: 'custom',
      message:
        'true would trust an address any client can write: set the number of proxies in front of Tally (e.g. TRUST_PROXY=1) or their addresses (e.g. TRUST_PROXY=10.0.0.5,10.1.0.0/16)',
    });
    return false;
  }
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  // A /0 range (0.0.0.0/0, ::/0) trusts every address: any client could then name its own.
  const everyone = entries.filter((entry) => /\/0+$/.test(entry));
  if (everyone.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${everyone.join(', ')} would trust every address, so any client could write its own: set the number of proxies in front of Tally (e.g. TRUST_PROXY=1) or their addresses (e.g. TRUST_PROXY=10.0.0.5,10.1.0.0/16)`,
    });
    return false;
  }
  const bad = entries.filter((entry) => !isProxyAddress(entry));
  if (bad.length > 0 || entries.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: `not a hop count or a list of proxy addresses/CIDRs (${bad.join(', ') || raw}): e.g. TRUST_PROXY=1 or TRUST_PROXY=10.0.0.5,10.1.0.0/16`,
    });
    return false;
  }
  return entries;
}

/** packages/server, whether this file runs from src/platform/ (ts-node, jest) or dist/src/platform/ (built). */
const SERVER_ROOT = resolve(__dirname, __dirname.split(sep).includes('dist') ? '../../..' : '../..');

export interface Config {
  env: 'development' | 'production' | 'test';
  production: boolean;
  port: number;
  host: string;
  /** Absent: an embedded PostgreSQL is started in `dataDir`. */
  databaseUrl: string | undefined;
  /**
   * How long a request waits for a database connection (a new one, or a free one of the pool)
   * before it fails; REST and GraphQL then answer 503 UNAVAILABLE with Retry-After instead of hanging.
   */
  databaseConnectTimeoutMs: number;
  dataDir: string;
  /** As root only: where the embedded PostgreSQL's binaries and clusters live (see db/embedded.ts). */
  embeddedPgDir: string;
  /** Base of every link Tally sends (emails); never taken from a request's Host header. */
  publicUrl: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  jwtSecret: string | undefined;
  jwtSecretFile: string | undefined;
  corsOrigins: string[];
  /** Passed to Fastify as it is: never `true`. */
  trustProxy: TrustProxy;
  logLevel: string;
  /** Where the built web app lives; served at `/` when it exists. */
  webDistDir: string;
  loginLimits: { perAccount: number; perAddress: number; windowSeconds: number };
  /** Sign-up attempts per client address per window (every attempt counts). */
  signUpLimits: { perAddress: number; windowSeconds: number };
  /** Invitations (and resends) per inviter and per team an hour, and per team and invited email a day. */
  invitationLimits: { perInviterPerHour: number; perWorkspacePerHour: number; perEmailPerDay: number };
  /** Password reset requests per client address and per email an hour. */
  passwordResetLimits: { perAddressPerHour: number; perEmailPerHour: number };
  /** Unknown or revoked API keys looked up in the database, per client address per window. */
  apiKeyFailureLimits: { perAddress: number; windowSeconds: number };
  /** `pnpm seed` only: a running Tally to send the sample data to (default: the one DATA_DIR/owner.json names). */
  tallyUrl: string | undefined;
  /** Events one API key may send per minute, across all instances (POST /v1/events). */
  ingestLimits: { eventsPerKeyPerMinute: number };
  /**
   * Analytics reads: their own pool of `poolSize` connections (ingest keeps its own), at most
   * `queriesPerRequest` statements of one GraphQL request at a time, each statement stopped after
   * `statementTimeoutMs`, and `queriesPerMinute` analytics fields per API key or user.
   */
  analytics: { poolSize: number; queriesPerRequest: number; statementTimeoutMs: number; queriesPerMinute: number };
  /**
   * The highest per-key limits an ADMIN may set on a key (setApiKeyRateLimits), the same in every
   * workspace: events per minute and analytics queries per minute. By default ten times the
   * server's defaults above (INGEST_EVENTS_PER_KEY_PER_MINUTE, ANALYTICS_QUERIES_PER_MINUTE).
   */
  apiKeyLimitMaximums: { eventsPerMinute: number; queriesPerMinute: number };
  /**
   * The event timestamps ingest takes, relative to when a batch arrives: each month of them is
   * a partition that stays, so a batch may not reach far into the past or the future.
   */
  /** Where events are stored (modules/events): PostgreSQL, or ClickHouse beside it. */
  events:
    | { store: 'postgres' }
    | {
        store: 'clickhouse';
        /** Absent: ClickHouse in-process (chdb), its files in `dataDir`. */
        clickhouseUrl: string | undefined;
        /** Where chdb is installed (its node_modules), for the in-process engine. */
        chdbDir: string;
        /** Each ClickHouse query's memory limit (max_memory_usage). */
        maxQueryMemoryBytes: number;
      };
  eventTimestampWindow: { maxAgeDays: number; maxAheadHours: number };
  /**
   * Who reads GET /metrics: with `token`, on the public port behind it; with `port`, on a
   * listener of its own on `host` (loopback unless told); with neither, nobody (README, "Metrics").
   */
  metrics: { token: string | undefined; port: number | undefined; host: string };
  /**
   * Exports streaming at once, per instance and per workspace (more: 429), and how long an export
   * whose reader takes nothing may wait before it is ended (README, "Events and analytics").
   */
  exportLimits: { maxConcurrent: number; maxConcurrentPerWorkspace: number; stallTimeoutSeconds: number };
  /** GraphQL operation names (third-party clients') that always keep their /metrics label. */
  metricsOperationNames: string[];
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The repository's root, where `.env` is read from (whatever the working folder). */
export const REPO_ROOT = resolve(SERVER_ROOT, '../..');

/**
 * The environment with a `.env` file's settings under it: variables already set win, so a
 * deployment's environment always overrides the file. No file: the environment as it is.
 */
export function withDotEnv(env: NodeJS.ProcessEnv, file = resolve(REPO_ROOT, '.env')): NodeJS.ProcessEnv {
  if (!existsSync(file)) return env;
  let parsed: NodeJS.Dict<string>;
  try {
    parsed = parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`${file}: cannot be read (${error instanceof Error ? error.message : String(error)})`]);
  }
  return { ...parsed, ...env };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const publicUrl = (e.PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' ? 'localhost' : e.HOST}:${e.PORT}`).replace(
    /\/+$/,
    '',
  );
  const corsOrigins = e.CORS_ORIGINS
    ? e.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : [new URL(publicUrl).origin, 'https://studio.apollographql.com'];
  return {
    env: e.NODE_ENV,
    production: e.NODE_ENV === 'production',
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseConnectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    dataDir: resolve(e.DATA_DIR),
    embeddedPgDir: resolve(e.EMBEDDED_PG_DIR),
    publicUrl,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    jwtSecret: e.JWT_SECRET,
    jwtSecretFile: e.JWT_SECRET_FILE,
    corsOrigins,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    webDistDir: resolve(e.WEB_DIST_DIR ?? resolve(SERVER_ROOT, '../web/dist')),
    loginLimits: {
      perAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      perAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
    },
    signUpLimits: { perAddress: e.SIGNUP_MAX_PER_ADDRESS, windowSeconds: e.SIGNUP_WINDOW_SECONDS },
    invitationLimits: {
      perInviterPerHour: e.INVITATIONS_PER_INVITER_PER_HOUR,
      perWorkspacePerHour: e.INVITATIONS_PER_WORKSPACE_PER_HOUR,
      perEmailPerDay: e.INVITATIONS_PER_EMAIL_PER_DAY,
    },
    passwordResetLimits: {
      perAddressPerHour: e.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR,
      perEmailPerHour: e.PASSWORD_RESETS_PER_EMAIL_PER_HOUR,
    },
    apiKeyFailureLimits: {
      perAddress: e.API_KEY_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: e.API_KEY_FAILURE_WINDOW_SECONDS,
    },
    ingestLimits: { eventsPerKeyPerMinute: e.INGEST_EVENTS_PER_KEY_PER_MINUTE },
    analytics: {
      poolSize: e.ANALYTICS_POOL_SIZE,
      queriesPerRequest: e.ANALYTICS_QUERIES_PER_REQUEST,
      statementTimeoutMs: e.ANALYTICS_STATEMENT_TIMEOUT_MS,
      queriesPerMinute: e.ANALYTICS_QUERIES_PER_MINUTE,
    },
    apiKeyLimitMaximums: apiKeyLimitMaximums(e),
    events: eventsStore(e),
    eventTimestampWindow: {
      maxAgeDays: e.EVENT_TIMESTAMP_MAX_AGE_DAYS,
      maxAheadHours: e.EVENT_TIMESTAMP_MAX_AHEAD_HOURS,
    },
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    exportLimits: exportLimits(e),
    tallyUrl: e.TALLY_URL?.replace(/\/+$/, ''),
    metricsOperationNames: e.METRICS_OPERATION_NAMES,
  };
}

/**
 * Where events live. PostgreSQL (the default) needs nothing more. ClickHouse takes CLICKHOUSE_URL
 * (user, password and database in the URL; https:// for TLS), or without it runs in-process
 * through chdb, installed into CHDB_DIR (scripts/ensure-chdb.mjs), with its files in DATA_DIR.
 */
function eventsStore(e: z.infer<typeof envSchema>): Config['events'] {
  if (e.EVENTS_STORE === 'postgres') return { store: 'postgres' };
  return {
    store: 'clickhouse',
    clickhouseUrl: e.CLICKHOUSE_URL,
    chdbDir: resolve(e.CHDB_DIR ?? defaultChdbDir(e.XDG_CACHE_HOME)),
    maxQueryMemoryBytes: e.CLICKHOUSE_MAX_QUERY_MEMORY_MB * 1024 * 1024,
  };
}

/** Where scripts/ensure-chdb.mjs installs chdb when CHDB_DIR is not set (the same rule). */
function defaultChdbDir(cacheHome: string | undefined): string {
  const cache = cacheHome ?? join(homedir(), '.cache');
  return join(cache, 'tally', `chdb-${CHDB_VERSION}`);
}

/** The chdb the ClickHouse store is tested and run with (tools/chdb/package.json pins it). */
export const CHDB_VERSION = '3.4.0';

/** How many times the server's default a key's own limit may be when no maximum is set. */
export const API_KEY_LIMIT_MAXIMUM_FACTOR = 10;

function apiKeyLimitMaximums(e: z.infer<typeof envSchema>): Config['apiKeyLimitMaximums'] {
  const eventsPerMinute =
    e.API_KEY_MAX_EVENTS_PER_MINUTE ?? API_KEY_LIMIT_MAXIMUM_FACTOR * e.INGEST_EVENTS_PER_KEY_PER_MINUTE;
  const queriesPerMinute =
    e.API_KEY_MAX_QUERIES_PER_MINUTE ?? API_KEY_LIMIT_MAXIMUM_FACTOR * e.ANALYTICS_QUERIES_PER_MINUTE;
  const problems: string[] = [];
  if (eventsPerMinute < e.INGEST_EVENTS_PER_KEY_PER_MINUTE) {
    problems.push(
      `API_KEY_MAX_EVENTS_PER_MINUTE: must be at least INGEST_EVENTS_PER_KEY_PER_MINUTE (${e.INGEST_EVENTS_PER_KEY_PER_MINUTE})`,
    );
  }
  if (queriesPerMinute < e.ANALYTICS_QUERIES_PER_MINUTE) {
    problems.push(
      `API_KEY_MAX_QUERIES_PER_MINUTE: must be at least ANALYTICS_QUERIES_PER_MINUTE (${e.ANALYTICS_QUERIES_PER_MINUTE})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { eventsPerMinute, queriesPerMinute };
}

function exportLimits(e: z.infer<typeof envSchema>): Config['exportLimits'] {
  if (e.EXPORT_MAX_CONCURRENT_PER_WORKSPACE > e.EXPORT_MAX_CONCURRENT) {
    throw new ConfigError([
      `EXPORT_MAX_CONCURRENT_PER_WORKSPACE: must be at most EXPORT_MAX_CONCURRENT (${e.EXPORT_MAX_CONCURRENT})`,
    ]);
  }
  return {
    maxConcurrent: e.EXPORT_MAX_CONCURRENT,
    maxConcurrentPerWorkspace: e.EXPORT_MAX_CONCURRENT_PER_WORKSPACE,
    stallTimeoutSeconds: e.EXPORT_STALL_TIMEOUT_SECONDS,
  };
}
