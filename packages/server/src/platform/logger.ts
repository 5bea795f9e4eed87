import type { FastifyBaseLogger } from 'fastify';
import pino, {
  type Bindings,
  type ChildLoggerOptions,
  type DestinationStream,
  type Logger,
  type LoggerOptions,
} from 'pino';
import type { Config } from './config';

/**
 * What a database driver's error carries beyond its message: TypeORM's QueryFailedError has the
 * SQL (`query`) and its `parameters` (an email, a password hash), pg's errors `detail`
 * ("Key (email)=(…) already exists"), `where` and `internalQuery`. None of it is ever logged.
 */
const DRIVER_ERROR_FIELDS = new Set(['query', 'parameters', 'detail', 'where', 'internalQuery']);

function withoutDriverFields(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => withoutDriverFields(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, nested] of Object.entries(value)) {
    if (!DRIVER_ERROR_FIELDS.has(key)) copy[key] = withoutDriverFields(nested, depth + 1);
  }
  return copy;
}

/** pino's error serializer (type, message, stack, causes), minus the driver's query and values. */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return withoutDriverFields(error, 0);
  return withoutDriverFields(pino.stdSerializers.err(error), 0);
}

/** The request line as logged: never the query string (a GET's can hold a password or token). */
export function serializeRequest(request: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number } | null;
}): Record<string, unknown> {
  const url = request.url;
  return {
    method: request.method,
    url: url === undefined ? undefined : url.split('?', 1)[0],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/**
 * How a development terminal shows the lines: one line each (a request is one line, its fields
 * inline), not an indented object per field.
 */
export const PRETTY_OPTIONS = { translateTime: 'HH:MM:ss', ignore: 'pid,hostname', singleLine: true } as const;

/** Structured JSON logs; pretty in an interactive development terminal. Credentials are redacted. */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'production'>,
  /** Where the lines go instead of stdout (tests read them). */
  destination?: DestinationStream,
): Logger {
  const pretty = !destination && !config.production && process.stdout.isTTY;
  const options: LoggerOptions = {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', '*.password', '*.secret'],
      censor: '[redacted]',
    },
    // Fastify uses these too (a logger instance's serializers win over its own).
    serializers: { err: serializeError, req: serializeRequest },
    ...(pretty ? { transport: { target: 'pino-pretty', options: PRETTY_OPTIONS } } : {}),
  };
  if (destination) return pino(options, destination);
  if (pretty) return pino(options);
  const { stream, stopFlushing } = stdoutDestination();
  const logger = pino(options, stream);
  flushTimers.set(logger, stopFlushing);
  return logger;
}

/** How to stop the flush timer of each logger that createLogger made on stdout. */
const flushTimers = new WeakMap<Logger, () => void>();

/**
 * Writes what a logger from createLogger still holds and stops its flush timer: for whoever made
 * the logger and is done with it (a Tally closing the one it made). Without that, the timer,
 * which never ends on its own, keeps the logger, and whatever its process made it in, in memory.
 * The logger still works: its lines are then written in blocks, and what is left at exit.
 */
export function stopLogger(logger: Logger): void {
  const stopFlushing = flushTimers.get(logger);
  if (!stopFlushing) return;
  flushTimers.delete(logger);
  stopFlushing();
}

/** How much a production log buffers before it writes, and how long a line may wait at most. */
const STDOUT_BLOCK_BYTES = 32 * 1024;
/** sonic-boom's largest single write (its default, 16 KB, must exceed the block). */
const STDOUT_MAX_WRITE_BYTES = 64 * 1024;
const STDOUT_FLUSH_MS = 1000;

/**
 * stdout, written asynchronously in blocks of STDOUT_BLOCK_BYTES (about a hundred request lines)
 * rather than one write per line, and flushed every STDOUT_FLUSH_MS so a quiet server's lines
 * still show within a second. pino flushes what is left, synchronously, when the process exits
 * (a stop, process.exit, an uncaught error).
 */
function stdoutDestination(): { stream: DestinationStream; stopFlushing: () => void } {
  const out = pino.destination({ sync: false, minLength: STDOUT_BLOCK_BYTES, maxWrite: STDOUT_MAX_WRITE_BYTES });
  // sonic-boom throws once destroyed (closed at exit); its typings do not list the flag.
  const flush = () => {
    if (Reflect.get(out, 'destroyed') !== true) out.flush();
  };
  const timer = setInterval(flush, STDOUT_FLUSH_MS).unref();
  return {
    stream: out,
    stopFlushing: () => {
      clearInterval(timer);
      flush();
    },
  };
}

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Object.assign's own enumerable keys, copied one by one. */
function copyInto(target: Bindings, source: object): void {
  for (const key of Object.keys(source)) target[key] = Reflect.get(source, key);
}

/** Whether a child with these options logs exactly as its parent does (no level, serializers, …). */
function inheritsEverything(options: ChildLoggerOptions): boolean {
  for (const _key in options) return false;
  return true;
}

/**
 * Fastify gives every request a child logger; creating one (bindings, redaction) costs more
 * than a small request's own work, and most requests never log above the configured level.
 * So a request's logger makes no pino child at all until it must: a line below the level is
 * dropped by a comparison, and a line at or above it (the one "request completed" line of every
 * request at info, see request-log.ts) is written by the parent with the request's bindings put
 * in front of the line's own fields: the same JSON a child writes, whose bindings come first too.
 * A child is made only for what a merge cannot say the same way (an Error or a non-object as
 * the first argument, a `child()` of its own, a level set on it, child options).
 */
class LazyChildLogger implements FastifyBaseLogger {
  private real: FastifyBaseLogger | undefined;
  /** Bindings added after Fastify's (`addBindings`), in order; merged only when a line is written. */
  private added: Bindings[] | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** More bindings for every later line (kept aside while no child was made: no merge per call). */
  addBindings(bindings: Bindings): void {
    if (this.real) addLogBindings(this.real, bindings);
    else (this.added ??= []).push(bindings);
  }

  /**
   * Every binding so far, with `fields` (a line's own) last. Copied key by key: spread and
   * Object.assign take V8's slow path here (frozen sources, Fastify's computed-key bindings),
   * many times slower than these loops.
   */
  private merged(fields?: object): Bindings {
    const merged: Bindings = {};
    copyInto(merged, this.bindings);
    for (const bindings of this.added ?? []) copyInto(merged, bindings);
    if (fields) copyInto(merged, fields);
    return merged;
  }

  get level(): string {
    return this.real?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.materialize().level = level;
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.materialize().child(bindings, options);
  }

  private materialize(): FastifyBaseLogger {
    this.real ??= this.parent.child(this.merged(), this.options);
    return this.real;
  }

  private write(level: LevelName, args: unknown[]): void {
    const threshold = pino.levels.values[this.level] ?? 0;
    if ((pino.levels.values[level] ?? 0) < threshold) return;
    if (this.real === undefined && inheritsEverything(this.options)) {
      const [first, ...rest] = args;
      if (typeof first === 'string') {
        Reflect.apply(this.parent[level], this.parent, [this.merged(), first, ...rest]);
        return;
      }
      if (typeof first === 'object' && first !== null && !(first instanceof Error)) {
        Reflect.apply(this.parent[level], this.parent, [this.merged(first), ...rest]);
        return;
      }
    }
    const logger = this.materialize();
    Reflect.apply(logger[level], logger, args);
  }
}

/**
 * Adds fields to every later line of a request's logger, "request completed" included: the
 * principal's kind, the GraphQL operation, the workspace (see principalLogFields). Never a
 * credential or a value a client sent other than the operation's name.
 */
export function addLogBindings(log: FastifyBaseLogger, bindings: Bindings): void {
  if (log instanceof LazyChildLogger) {
    log.addBindings(bindings);
    return;
  }
  const setBindings: unknown = Reflect.get(log, 'setBindings');
  if (typeof setBindings === 'function') Reflect.apply(setBindings, log, [bindings]);
}

/** The caller as the logs name it (auth/principal.ts's Principal is one). */
export type LoggedPrincipal =
  { kind: 'user'; userId: string } | { kind: 'apiKey'; apiKeyId: string; workspaceId: string };

const ANONYMOUS: Bindings = Object.freeze({ principal: 'anonymous' });
/** An API key's fields, made once per principal: the verifier hands every request the same one. */
const KEY_FIELDS = new WeakMap<LoggedPrincipal, Bindings>();

/**
 * The log fields of a request's principal: its kind and ids, never its credential. Shared
 * between requests (frozen: a logger copies from them, never into them).
 */
export function principalLogFields(principal: LoggedPrincipal | null): Bindings {
  if (!principal) return ANONYMOUS;
  if (principal.kind === 'user') return { principal: 'user', userId: principal.userId };
  let fields = KEY_FIELDS.get(principal);
  if (!fields) {
    fields = Object.freeze({ principal: 'apiKey', apiKeyId: principal.apiKeyId, workspaceId: principal.workspaceId });
    KEY_FIELDS.set(principal, fields);
  }
  return fields;
}

export const lazyChildLoggerFactory = (
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger => new LazyChildLogger(logger, bindings, options);
