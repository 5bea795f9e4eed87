import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Written by the web build (packages/web/vite.config.ts) beside the dashboard it serves. */
export const DASHBOARD_OPERATIONS_FILE = 'graphql-operations.json';

/** A GraphQL name, as operation names must be. */
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * The names of the dashboard's own GraphQL operations, as its build listed them in the folder
 * served at / (WEB_DIST_DIR). None when there is no built dashboard or the list is unreadable:
 * then only METRICS_OPERATION_NAMES and the first-come slots give labels.
 */
export function dashboardOperationNames(webDistDir: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(webDistDir, DASHBOARD_OPERATIONS_FILE), 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter((name): name is string => typeof name === 'string' && NAME.test(name) && name.length <= 64);
}
