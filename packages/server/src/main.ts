import 'reflect-metadata';
import { ConfigError, loadConfig, withDotEnv } from './platform/config';
import { createLogger } from './platform/logger';
import { createTally } from './server';
import { StartupError } from './platform/startup-error';

/** Start-up only: config, database, HTTP server, and a graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(withDotEnv(process.env));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config);
  const tally = await createTally(config, { logger });
  const url = await tally.listen().catch(async (error: unknown) => {
    await tally.close().catch(() => undefined);
    throw error;
  });
  logger.info({ url, graphql: `${url}/graphql` }, 'Tally is running');
  if (process.stdout.isTTY || !config.production) {
    console.log(`\n  Tally is running:   ${url}\n  GraphQL + Sandbox:  ${url}/graphql\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    tally.close().then(
      () => {
        logger.info({ signal }, 'Tally stopped');
        if (process.stdout.isTTY) console.log('\n  Tally stopped.\n');
        // 0 after Ctrl-C too: a clean stop is a success, and pnpm then reports no failure.
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // A setting or folder that cannot work is one line that names it and the fix; anything
  // else is a bug and keeps its stack.
  const known = startupProblem(error);
  if (known) console.error(`Tally cannot start: ${known}`);
  else console.error('Tally failed to start:', error);
  process.exit(1);
});

function startupProblem(error: unknown): string | undefined {
  if (error instanceof StartupError) return error.message;
  const errno = error as NodeJS.ErrnoException & { port?: number };
  if (errno.code === 'EADDRINUSE') {
    return `port ${errno.port ?? process.env.PORT ?? 4000} is already in use: stop what uses it or pick another, e.g. PORT=4800 pnpm start`;
  }
  if (errno.code === 'EADDRNOTAVAIL') return `HOST ${process.env.HOST ?? ''} is not an address of this machine`;
  return undefined;
}
