export { loadConfig, ConfigError, type Config } from './config';
export { createTally, type Tally, type Services } from './server';
export { buildTallySchema } from './graphql/schema';
export { AppError } from './errors';
