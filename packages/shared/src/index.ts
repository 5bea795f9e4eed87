export * from './roles';
export * from './scopes';
export * from './statuses';
export * from './errors';
export * from './limits';
export * from './passwords';
export * from './team-rules';
export * from './analytics';
