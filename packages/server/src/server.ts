import 'reflect-metadata';
import { join } from 'node:path';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Config } from './platform/config';
import { StartupError } from './platform/startup-error';
import { type Clock, systemClock } from './platform/clock';
import { createDataSource } from './platform/db/data-source';
import { ENTITIES } from './entities';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './platform/db/embedded';
import { migrate } from './platform/db/migrate';
import { createApollo } from './graphql/apollo';
import { buildTallySchema } from './graphql/schema';
import { buildHttpApp } from './http/app';
import { Authenticator } from './auth/authenticate';
import { sessionCookieFor } from './http/session-cookie';
import { createLogger, stopLogger } from './platform/logger';
import { AccountService } from './modules/accounts/account.service';
import { LoginLimiter } from './modules/accounts/login-limiter';
import { RevokedSessions } from './modules/accounts/revoked-sessions';
import { PasswordResetService, definePasswordResetEmail } from './modules/accounts/password-reset.service';
import { TokenService } from './modules/accounts/tokens';
import { AccountChangeService, defineEmailChangeEmail } from './modules/accounts/account-changes.service';
import { HomeWorkspaceService } from './modules/workspaces/home-workspace.resolver';
import { ChangeFeed, type ChangeFeedOptions } from './platform/change-feed/change-feed';
import { ApiKeyService } from './modules/api-keys/api-key.service';
import { ApiKeyVerifier, type VerifierOptions } from './modules/api-keys/api-key-verifier';
import { ApiKeyUsage, type ApiKeyUsageOptions, defineApiKeyUsagePurge } from './modules/api-keys/api-key-usage';
import type { KeyLimitSettings } from './modules/api-keys/api-key-limits';
import { defineApiKeyExpiryWarnings } from './modules/api-keys/api-key-expiry-warnings';
import { AuditService } from './modules/audit/audit.service';
import { defineRefreshTokenPurge } from './modules/accounts/refresh-token-purge.job';
import { defineRateLimitPurge } from './platform/rate-limits/rate-limit-purge.job';
import { JobQueue, type JobQueueOptions } from './platform/jobs/job-queue';
import { defineMailJobs } from './platform/mail/mail-send.job';
import { dashboardOperationNames } from './platform/metrics/dashboard-operations';
import { Metrics, isPoolUse } from './platform/metrics/metrics';
import { MetricsServer } from './platform/metrics/metrics.route';
import { Mailer } from './platform/mail/mailer';
import { MembershipService } from './modules/members/membership.service';
import { defineInvitationEmail } from './modules/invitations/invitation-email';
import { InvitationService } from './modules/invitations/invitation.service';
import {
  WORKSPACE_PURGE_JOB,
  type WorkspacePurgeOptions,
  defineWorkspacePurge,
} from './modules/workspaces/workspace-purge';
import { Sealer } from './platform/sealer';
import { SavedFilterService } from './modules/saved-filters/saved-filter.service';
import { AnnotationService } from './modules/annotations/annotation.service';
import { AnalyticsService } from './modules/analytics/analytics.service';
import { AnalyticsReads, analyticsCaller } from './modules/analytics/analytics-reads';
import { registerIngestRoute } from './modules/events/ingest.route';
import { registerOtlpRoutes } from './modules/events/otlp/otlp.route';
import { IngestService } from './modules/events/ingest.service';
import type { EventStore } from './modules/events/event-store';
import {
  type ClickHouse,
  ClickHouseEventStore,
  type ClickHouseTarget,
  ClickHouseUnavailable,
  migrateClickHouse,
  openClickHouse,
} from './modules/events/clickhouse/clickhouse-event-store';
import { PostgresEventStore } from './modules/events/postgres/postgres-event-store';
import { registerExportRoute } from './modules/exports/export.route';
import { ExportService } from './modules/exports/export.service';
import { WorkspaceService } from './modules/workspaces/workspace.service';
import { loadJwtSecret } from './platform/secrets';
import { type Limits, createLimits } from './limits';

export interface Tally {
  config: Config;
  /** The database in use: DATABASE_URL, or the embedded server's. */
  databaseUrl: string;
  app: FastifyInstance;
  db: DataSource;
  logger: Logger;
  services: Services;
  /** Cross-instance cache invalidation (LISTEN/NOTIFY). */
  changes: ChangeFeed;
  /** Durable background jobs (pg-boss on the same database). */
  jobs: JobQueue;
  /** With EVENTS_STORE=clickhouse: the events' database (for /readyz, benches and tests); else null. */
  clickhouse: ClickHouse | null;
  /** Prometheus metrics of this instance (GET /metrics; README, "Metrics"). */
  metrics: Metrics;
  /** The separate metrics listener's URL once listening, when METRICS_PORT is set. */
  readonly metricsUrl: string | null;
  /** Starts listening; resolves with the base URL. */
  listen(): Promise<string>;
  /** Drains in-flight requests, stops the job queue, then closes the database (and the embedded server). */
  close(): Promise<void>;
}

export interface Services {
  tokens: TokenService;
  accounts: AccountService;
  workspaces: WorkspaceService;
  memberships: MembershipService;
  invitations: InvitationService;
  savedFilters: SavedFilterService;
  annotations: AnnotationService;
  /** Event storage (modules/events): ingest, analytics queries, export, purge. */
  events: EventStore;
  ingest: IngestService;
  analytics: AnalyticsService;
  /** GET /v1/export/events: its slots (`running()`) and its stop. */
  exports: ExportService;
  apiKeys: ApiKeyService;
  apiKeyVerifier: ApiKeyVerifier;
  /** Per-key daily usage, counted in memory (`flush()` writes it now). */
  apiKeyUsage: ApiKeyUsage;
  mailer: Mailer;
}

export interface TallyOptions {
  logger?: Logger;
  /** Cache timings of the API key verifier (tests shorten them). */
  verifier?: Omit<VerifierOptions, 'limits' | 'usage'>;
  /** Heartbeat and listening URL of the change feed (tests shorten and proxy them). */
  changeFeed?: Omit<ChangeFeedOptions, 'pool'>;
  /** Job queue timings (tests: fast polling and maintenance, a short stop, short retry delays). */
  jobs?: JobQueueOptions;
  /** Batch size, progress hook and sweep delay of the team purge (tests stop it half-way). */
  purge?: WorkspacePurgeOptions;
  /** Defines extra jobs before the queue starts (tests). */
  defineJobs?: (jobs: JobQueue) => void;
  /**
   * Whether the embedded PostgreSQL's cluster outlives this Tally (default true, as `pnpm start`
   * needs). False deletes it on close, wherever it lives (as root: under EMBEDDED_PG_DIR, not in
   * DATA_DIR), for throw-away runs such as `pnpm bench`.
   */
  keepEmbeddedCluster?: boolean;
  /** What API keys' expiry is decided by (tests move time forward instead of sleeping). */
  clock?: Clock;
  /** How often per-key usage is written (tests). */
  apiKeyUsage?: ApiKeyUsageOptions;
  /** With EVENTS_STORE=clickhouse: where ClickHouse is, instead of the settings' (tests: a database each). */
  clickhouse?: ClickHouseTarget;
}

/** Wires Tally together: database, migrations, services, GraphQL and HTTP. */
export async function createTally(config: Config, options: TallyOptions = {}): Promise<Tally> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config);
  // Process metrics (CPU, memory, event loop) only where /metrics can be read.
  const metrics = new Metrics({
    processMetrics: config.metrics.token !== undefined || config.metrics.port !== undefined,
    // Labels no made-up name can take: the served dashboard's operations and the configured ones.
    knownOperations: [...dashboardOperationNames(config.webDistDir), ...config.metricsOperationNames],
  });
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      rootBase: config.embeddedPgDir,
      persistent: options.keepEmbeddedCluster ?? true,
      log: (message) => logger.debug({ component: 'embedded-postgres' }, message),
      notice: (message) => logger.info({ component: 'embedded-postgres' }, message),
    });
    databaseUrl = embedded.url;
    logger.info({ dataDir: config.dataDir }, 'using the embedded PostgreSQL (set DATABASE_URL to use your own)');
  }

  // Every pool waits at most DATABASE_CONNECT_TIMEOUT_MS for a connection: with the database
  // down or unreachable, a request fails (503 on the REST endpoints) instead of hanging.
  const connectionTimeoutMillis = config.databaseConnectTimeoutMs;
  const db = createDataSource(databaseUrl, 10, connectionTimeoutMillis, ENTITIES);
  const pool = new Pool({ connectionString: databaseUrl, max: 4, connectionTimeoutMillis });
  // Ingest, analytics queries and exports: their own connections, so a long export or a burst of
  // batches never holds up logins, rate limits or the change feed.
  const eventsPool = new Pool({
    connectionString: databaseUrl,
    max: 10,
    application_name: 'tally-events',
    connectionTimeoutMillis,
  });
  // Analytics reads: a pool of their own, so no request, however costly, takes ingest's
  // connections; each connection starts with a statement_timeout (a startup option: no round
  // trip per query), so no statement runs longer than ANALYTICS_STATEMENT_TIMEOUT_MS.
  const analyticsPool = new Pool({
    connectionString: databaseUrl,
    max: config.analytics.poolSize,
    application_name: 'tally-analytics',
    connectionTimeoutMillis,
    options: `-c statement_timeout=${config.analytics.statementTimeoutMs}`,
  });
  let limits: Limits | undefined;
  let apiKeyUsage: ApiKeyUsage | undefined;
  let clickhouse: ClickHouse | undefined;
  const changes = new ChangeFeed(databaseUrl, logger, { pool, ...options.changeFeed });
  const jobs = new JobQueue(databaseUrl, logger, db, { ...options.jobs, counters: metrics.jobs });
  metrics.watchPool('app', pool);
  metrics.watchPool('events', eventsPool);
  metrics.watchPool('analytics', analyticsPool);
  metrics.watchPool('jobs', jobs.stats.poolUse);
  metrics.watchJobQueue(() => jobs.stats.depth());
  metrics.watchChangeFeed(() => changes.connected);
  const mailer = new Mailer(config, logger);
  // An idle client whose server went away must not crash the process; the next query reconnects.
  // Once Tally is stopping, a connection the database closes is expected, not a warning.
  let stopping = false;
  const onIdleError = (error: Error) =>
    stopping
      ? logger.debug({ err: error }, 'database connection closed while stopping')
      : logger.warn({ err: error }, 'idle database connection lost');
  pool.on('error', onIdleError);
  eventsPool.on('error', onIdleError);
  analyticsPool.on('error', onIdleError);
  try {
    await db.initialize();
    // TypeORM's own pg pool (entities, transactions).
    const ormPool: unknown = Reflect.get(db.driver, 'master');
    if (isPoolUse(ormPool)) metrics.watchPool('orm', ormPool);
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied database migrations');

    const jwtSecret = await loadJwtSecret(config);
    const tokens = new TokenService(jwtSecret, config.publicUrl);
    const audit = new AuditService(db);
    const memberships = new MembershipService(db, audit);
    const workspaces = new WorkspaceService(db, audit, changes, jobs);
    const sealer = new Sealer(jwtSecret, 'invitation-email');
    const savedFilters = new SavedFilterService(db, audit);
    const annotations = new AnnotationService(db, audit);
    let events: EventStore;
    if (config.events.store === 'clickhouse') {
      clickhouse = await connectClickHouse(config, options.clickhouse);
      const applied = await migrateClickHouse(clickhouse, pool);
      if (applied.length > 0) logger.info({ migrations: applied }, 'applied ClickHouse migrations');
      logger.info(
        { database: clickhouse.database, embedded: clickhouse.embedded },
        clickhouse.embedded
          ? 'events are stored in ClickHouse, in-process (chdb; set CLICKHOUSE_URL to use a ClickHouse server)'
          : 'events are stored in ClickHouse',
      );
      events = new ClickHouseEventStore(
        clickhouse,
        eventsPool,
        db,
        { timeoutMs: config.analytics.statementTimeoutMs, maxMemoryBytes: config.events.maxQueryMemoryBytes },
        logger,
      );
    } else {
      events = new PostgresEventStore(eventsPool, db, logger, {
        pool: analyticsPool,
        statementTimeoutMs: config.analytics.statementTimeoutMs,
      });
    }
    limits = createLimits(pool, config, logger);
    const keyUsage = new ApiKeyUsage(
      pool,
      (error) => logger.warn({ err: error }, 'could not write API key usage'),
      options.apiKeyUsage,
    );
    apiKeyUsage = keyUsage;
    const keyLimits: KeyLimitSettings = {
      defaults: {
        eventsPerMinute: config.ingestLimits.eventsPerKeyPerMinute,
        queriesPerMinute: config.analytics.queriesPerMinute,
      },
      maximums: config.apiKeyLimitMaximums,
    };
    const ingest = new IngestService(
      events,
      limits.ingest,
      config.eventTimestampWindow,
      {
        isLive: async (id) => (await workspaces.findLive(id)) !== null,
        purgeAgain: (workspaceId) => jobs.send(WORKSPACE_PURGE_JOB, { workspaceId }),
      },
      keyUsage,
    );
    const analytics = new AnalyticsService(events, savedFilters, annotations);
    const exportService = new ExportService(events, memberships, analytics, config.exportLimits);
    const invitations = new InvitationService(db, audit, jobs, limits.invitations, sealer);
    const limiter = new LoginLimiter(pool, config.loginLimits);
    const accounts = new AccountService(db, tokens, limiter, workspaces, limits.signUps, changes);
    const revokedSessions = new RevokedSessions(db);
    const resetSealer = new Sealer(jwtSecret, 'password-reset-email');
    const passwordResets = new PasswordResetService(db, jobs, limits.passwordResets, resetSealer, accounts, limiter);
    const emailChangeSealer = new Sealer(jwtSecret, 'email-change-email');
    const accountChanges = new AccountChangeService(
      db,
      jobs,
      limits.accountChanges,
      limiter,
      emailChangeSealer,
      accounts,
      {
        leaveAllTeams: (manager, userId, actor) => memberships.leaveAllTeams(manager, userId, actor),
        deletePersonal: (manager, userId) => workspaces.deletePersonal(manager, userId),
        deletedPersonal: (workspaceId) => workspaces.applyDeleted(workspaceId),
      },
      config.publicUrl,
    );
    const homeWorkspace = new HomeWorkspaceService(workspaces, events);
    const apiKeyVerifier = new ApiKeyVerifier(
      db,
      logger,
      limits.apiKeyFailures,
      { clock, ...options.verifier, usage: keyUsage, limits: keyLimits },
      metrics.keyCache,
    );
    const apiKeys = new ApiKeyService(db, audit, changes, clock, keyLimits);
    changes.subscribe(apiKeyVerifier.cache);
    changes.subscribe(workspaces.cache);
    changes.subscribe(revokedSessions);
    await changes.start();
    defineMailJobs(jobs, mailer);
    defineInvitationEmail(jobs, { db, mailer, sealer, publicUrl: config.publicUrl });
    defineWorkspacePurge(jobs, db, events, options.purge);
    definePasswordResetEmail(jobs, {
      db,
      mailer,
      sealer: resetSealer,
      publicUrl: config.publicUrl,
    });
    defineEmailChangeEmail(jobs, { db, mailer, sealer: emailChangeSealer, publicUrl: config.publicUrl });
    await defineRefreshTokenPurge(jobs, db, logger);
    await defineRateLimitPurge(jobs, db, logger);
    await defineApiKeyUsagePurge(jobs, db, (deleted, done) =>
      logger.info({ deleted, done }, 'purged API key usage older than 90 days'),
    );
    await defineApiKeyExpiryWarnings(jobs, { db, audit, clock, publicUrl: config.publicUrl, logger });
    // The store's own upkeep (PostgreSQL: partitions ahead, now and daily; rollup folds; id expiry).
    await events.registerMaintenance(jobs);
    options.defineJobs?.(jobs);
    await jobs.start();
    const services: Services = {
      tokens,
      accounts,
      workspaces,
      memberships,
      invitations,
      savedFilters,
      annotations,
      events,
      ingest,
      analytics,
      exports: exportService,
      apiKeys,
      apiKeyVerifier,
      apiKeyUsage: keyUsage,
      mailer,
    };

    const schema = await buildTallySchema({
      accounts,
      passwordResets,
      accountChanges,
      homeWorkspace,
      workspaces,
      apiKeys,
      memberships,
      invitations,
      audit,
      savedFilters,
      annotations,
      analytics,
    });

    const authenticator = new Authenticator(tokens, apiKeyVerifier, revokedSessions);
    const app = await buildHttpApp(
      {
        config,
        logger,
        db,
        changes,
        ...(clickhouse ? { eventsDatabase: { name: 'clickhouse', ping: pingOf(clickhouse) } } : {}),
        schemaSdl: config.production ? null : printSchemaWithDirectives(schema),
        metrics,
        authenticator,
        keyUsage,
        routes: [
          (http) => registerIngestRoute(http, { authenticator, ingest, counters: metrics.ingest }),
          (http) => registerExportRoute(http, { authenticator, exports: exportService, usage: keyUsage }),
          (http) =>
            registerOtlpRoutes(http, { authenticator, ingest, counters: metrics.otlp, production: config.production }),
        ],
        contextDeps: {
          memberships,
          loadUsers: (ids) => accounts.findUsers(ids),
          sessionCookie: sessionCookieFor(config.publicUrl.startsWith('https:')),
          analyticsReads: (principal) =>
            new AnalyticsReads(
              config.analytics.queriesPerRequest,
              limits?.analytics ?? null,
              analyticsCaller(principal),
              principal?.kind === 'apiKey' ? principal.limits.queriesPerMinute : undefined,
            ),
        },
      },
      createApollo(schema, { production: config.production, metrics }),
    );

    let closed: Promise<void> | undefined;
    let metricsServer: MetricsServer | undefined;
    let metricsUrl: string | null = null;
    return {
      config,
      databaseUrl,
      app,
      db,
      logger,
      services,
      changes,
      jobs,
      clickhouse: clickhouse ?? null,
      metrics,
      get metricsUrl() {
        return metricsUrl;
      },
      async listen() {
        await app.listen({ port: config.port, host: config.host });
        if (config.metrics.port !== undefined && !metricsServer) {
          metricsServer = new MetricsServer(metrics, config.metrics, (error) =>
            logger.error({ err: error }, 'metrics scrape failed'),
          );
          metricsUrl = await metricsServer.listen(config.metrics.host, config.metrics.port);
          logger.info({ url: metricsUrl }, 'metrics served');
        }
        const address = app.server.address();
        const port = typeof address === 'object' && address ? address.port : config.port;
        const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
        const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
        await embedded?.announce(url); // DATA_DIR/owner.json: where this Tally runs (pnpm seed)
        return url;
      },
      close() {
        closed ??= (async () => {
          stopping = true;
          await metricsServer?.close();
          await app.close();
          await jobs.stop();
          mailer.close();
          await changes.stop();
          await limits?.close();
          // After the last request has been answered: what they counted is written.
          await apiKeyUsage?.close();
          await pool.end();
          await eventsPool.end();
          await analyticsPool.end();
          await clickhouse?.close();
          await db.destroy();
          await embedded?.stop();
          // The logger made here (none was given): written out, its flush timer stopped.
          if (!options.logger) stopLogger(logger);
        })();
        return closed;
      },
    };
  } catch (error) {
    await jobs.stop().catch(() => undefined);
    mailer.close();
    await changes.stop().catch(() => undefined);
    await limits?.close().catch(() => undefined);
    await apiKeyUsage?.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await eventsPool.end().catch(() => undefined);
    await analyticsPool.end().catch(() => undefined);
    await clickhouse?.close().catch(() => undefined);
    if (db.isInitialized) await db.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    if (!options.logger) stopLogger(logger);
    throw error;
  }
}

/**
 * ClickHouse for the event store: CLICKHOUSE_URL's server, or chdb in this process with its files
 * in DATA_DIR. One that cannot be opened stops the start with one line naming the setting.
 * Also `pnpm events:to-clickhouse`'s way there (scripts/copy-events-to-clickhouse.ts).
 */
export async function connectClickHouse(config: Config, override?: ClickHouseTarget): Promise<ClickHouse> {
  if (config.events.store !== 'clickhouse') throw new Error('not a ClickHouse configuration');
  const { clickhouseUrl, chdbDir } = config.events;
  const target: ClickHouseTarget =
    override ??
    (clickhouseUrl
      ? { kind: 'server', url: clickhouseUrl }
      : { kind: 'chdb', chdbDir, path: join(config.dataDir, 'clickhouse'), database: 'tally' });
  try {
    return await openClickHouse(target);
  } catch (error) {
    if (!(error instanceof ClickHouseUnavailable)) throw error;
    const where =
      target.kind === 'server'
        ? `CLICKHOUSE_URL (${redactedUrl(target.url)}) cannot be used: ${error.message}`
        : `EVENTS_STORE=clickhouse without CLICKHOUSE_URL runs ClickHouse in-process, which failed: ${error.message}`;
    throw new StartupError(where);
  }
}

/** A URL without its password, for messages. */
function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function pingOf(clickhouse: ClickHouse): () => Promise<void> {
  return async () => {
    const result = await clickhouse.client.ping();
    if (!result.success) throw result.error;
  };
}
