/** The PostgreSQL schema of pg-boss's tables (pgboss.job, …) in Tally's own database. */
export const JOB_SCHEMA = 'pgboss';
