import pino, { type Logger } from 'pino';
import type { Config } from './config';

/** Structured JSON logs; pretty in an interactive development terminal. Credentials are redacted. */
export function createLogger(config: Pick<Config, 'logLevel' | 'production'>): Logger {
  const pretty = !config.production && process.stdout.isTTY;
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', '*.password', '*.secret'],
      censor: '[redacted]',
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } }
      : {}),
  });
}
