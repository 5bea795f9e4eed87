export { loadConfig, ConfigError, type Config } from './platform/config';
export { createTally, type Tally, type Services } from './server';
export { buildTallySchema } from './graphql/schema';
export { AppError } from './platform/errors';
