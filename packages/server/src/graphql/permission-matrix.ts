import { API_KEY_ROLE_SCOPES, MEMBER_ROLE_SCOPES, type Scope } from '@tally/shared';
import { type GraphQLField, type GraphQLSchema, isObjectType } from 'graphql';
import { AUTH_EXTENSION, type AuthDeclaration } from '../auth/declarations';

/**
 * The permission matrix: what every principal gets from every operation and every protected
 * Workspace / Analytics field, derived from the fields' own declarations (the extensions the
 * auth checker reads) and the role → scope tables in packages/shared. Nothing here is written by
 * hand per field: `scripts/print-permissions.ts` prints it to docs/permissions.md, and
 * test/permission-matrix.test.ts runs every cell against a real server.
 */

/** Who calls, relative to one team: its members, its keys, a signed-in outsider, nobody. */
export const MATRIX_PRINCIPALS = [
  'OWNER',
  'ADMIN',
  'EDITOR',
  'VIEWER',
  'KEY_ADMIN',
  'KEY_EDITOR',
  'KEY_VIEWER',
  'NON_MEMBER',
  'ANONYMOUS',
] as const;
export type MatrixPrincipal = (typeof MATRIX_PRINCIPALS)[number];

export const PRINCIPAL_LABELS: Readonly<Record<MatrixPrincipal, string>> = {
  OWNER: 'OWNER',
  ADMIN: 'ADMIN',
  EDITOR: 'EDITOR',
  VIEWER: 'VIEWER',
  KEY_ADMIN: 'key ADMIN',
  KEY_EDITOR: 'key EDITOR',
  KEY_VIEWER: 'key VIEWER',
  NON_MEMBER: 'non-member',
  ANONYMOUS: 'anonymous',
};

export type Outcome = 'ALLOWED' | 'FORBIDDEN' | 'NOT_FOUND' | 'UNAUTHENTICATED';

/** The types whose every field the matrix covers, in the order it prints them. */
export const MATRIX_TYPES = ['Query', 'Mutation', 'Workspace', 'Analytics'] as const;
export type MatrixType = (typeof MATRIX_TYPES)[number];

/** How the fields of a nested type are reached from the root (each step is checked in turn). */
export const REACHED_THROUGH: Readonly<Record<MatrixType, readonly string[]>> = {
  Query: [],
  Mutation: [],
  Workspace: ['Query.workspace'],
  Analytics: ['Query.workspace', 'Workspace.analytics'],
};

/**
 * Fields of these types carry no declaration of their own: their parent field has checked the
 * scope in its workspace (`Workspace.analytics` checks analytics.view).
 */
const INHERITING_TYPES: ReadonlySet<string> = new Set(['Analytics']);

/** The argument naming the workspace an operation acts in, where it is not `workspaceId`. */
const WORKSPACE_ARGUMENT: Readonly<Record<string, string>> = { 'Query.workspace': 'id' };

export function isKeyPrincipal(principal: MatrixPrincipal): boolean {
  return principal === 'KEY_ADMIN' || principal === 'KEY_EDITOR' || principal === 'KEY_VIEWER';
}

/** What the principal holds in the team; null when it has no role there. */
export function scopesOfPrincipal(principal: MatrixPrincipal): readonly Scope[] | null {
  switch (principal) {
    case 'OWNER':
    case 'ADMIN':
    case 'EDITOR':
    case 'VIEWER':
      return MEMBER_ROLE_SCOPES[principal];
    case 'KEY_ADMIN':
      return API_KEY_ROLE_SCOPES.ADMIN;
    case 'KEY_EDITOR':
      return API_KEY_ROLE_SCOPES.EDITOR;
    case 'KEY_VIEWER':
      return API_KEY_ROLE_SCOPES.VIEWER;
    default:
      return null;
  }
}

export function declarationOf(field: { extensions: Readonly<Record<string, unknown>> }): AuthDeclaration | undefined {
  return field.extensions[AUTH_EXTENSION] as AuthDeclaration | undefined;
}

export function describeDeclaration(declaration: AuthDeclaration | undefined, type: string): string {
  if (!declaration)
    return INHERITING_TYPES.has(type) ? `via ${REACHED_THROUGH[type as MatrixType].at(-1)}` : 'UNDECLARED';
  if (declaration.kind === 'scopes') return `scopes: ${declaration.scopes.join(' + ')}`;
  if (declaration.kind === 'authenticated') return 'authenticated';
  if (declaration.kind === 'user') return 'signed-in users';
  return declaration.people ? 'public, no API keys' : 'public';
}

export interface MatrixField {
  /** `Type.field` */
  coordinate: string;
  type: MatrixType;
  name: string;
  field: GraphQLField<unknown, unknown>;
  declaration: AuthDeclaration | undefined;
  /** The argument naming the workspace the field acts in, if any. */
  workspaceArgument: string | undefined;
}

/** Every field the matrix covers, types in MATRIX_TYPES order, fields by name. */
export function matrixFields(schema: GraphQLSchema): MatrixField[] {
  const out: MatrixField[] = [];
  for (const type of MATRIX_TYPES) {
    const object = schema.getType(type);
    if (!isObjectType(object)) throw new Error(`The schema has no object type ${type}.`);
    const fields = Object.values(object.getFields()).sort((a, b) => a.name.localeCompare(b.name));
    for (const field of fields) {
      const coordinate = `${type}.${field.name}`;
      const argument = WORKSPACE_ARGUMENT[coordinate] ?? 'workspaceId';
      out.push({
        coordinate,
        type,
        name: field.name,
        field,
        declaration: declarationOf(field),
        workspaceArgument: field.args.some((a) => a.name === argument) ? argument : undefined,
      });
    }
  }
  return out;
}

/** Problems that make a field impossible to place in the matrix (an undeclared field, …). */
export function declarationProblems(fields: readonly MatrixField[]): string[] {
  const problems: string[] = [];
  for (const f of fields) {
    if (!f.declaration && !INHERITING_TYPES.has(f.type)) {
      problems.push(
        `${f.coordinate} has no authorization declaration: add @RequiresScopes(...), @Authenticated(), @UsersOnly() or @Public(reason) (src/auth/declarations.ts).`,
      );
    }
    if (f.declaration?.kind === 'scopes' && REACHED_THROUGH[f.type].length === 0 && !f.workspaceArgument) {
      problems.push(`${f.coordinate} declares scopes but takes no workspaceId: the checker cannot know its workspace.`);
    }
  }
  return problems;
}

/** What the field itself answers the principal, its parents aside. */
export function ownOutcome(f: MatrixField, principal: MatrixPrincipal): Outcome {
  const declaration = f.declaration;
  if (!declaration) return 'ALLOWED'; // an inheriting type: the parent decided
  const scopes = scopesOfPrincipal(principal);
  const anonymous = principal === 'ANONYMOUS';
  // A caller without a role in the workspace a field names gets NOT_FOUND, as for an unknown id.
  const outsider = scopes === null && (f.workspaceArgument !== undefined || REACHED_THROUGH[f.type].length > 0);
  switch (declaration.kind) {
    case 'public':
      return declaration.people && isKeyPrincipal(principal) ? 'FORBIDDEN' : 'ALLOWED';
    case 'authenticated':
      if (anonymous) return 'UNAUTHENTICATED';
      return outsider ? 'NOT_FOUND' : 'ALLOWED';
    case 'user':
      if (anonymous) return 'UNAUTHENTICATED';
      if (isKeyPrincipal(principal)) return 'FORBIDDEN';
      return outsider ? 'NOT_FOUND' : 'ALLOWED';
    case 'scopes':
      if (anonymous) return 'UNAUTHENTICATED';
      if (scopes === null) return 'NOT_FOUND';
      return declaration.scopes.every((s) => scopes.includes(s)) ? 'ALLOWED' : 'FORBIDDEN';
  }
}

export interface Expectation {
  outcome: Outcome;
  /** Which step of the path (REACHED_THROUGH, then the field) refuses; the path's length when none does. */
  refusedAt: number;
}

/** The outcome along the whole path: the first step that refuses decides. */
export function expectedOutcome(
  byCoordinate: ReadonlyMap<string, MatrixField>,
  f: MatrixField,
  principal: MatrixPrincipal,
): Expectation {
  const steps = [...REACHED_THROUGH[f.type], f.coordinate];
  for (const [i, coordinate] of steps.entries()) {
    const step = byCoordinate.get(coordinate);
    if (!step) throw new Error(`${coordinate} is not in the schema.`);
    const outcome = ownOutcome(step, principal);
    if (outcome !== 'ALLOWED') return { outcome, refusedAt: i };
  }
  return { outcome: 'ALLOWED', refusedAt: steps.length };
}

export interface MatrixRow {
  coordinate: string;
  declaration: string;
  outcomes: Record<MatrixPrincipal, Outcome>;
}

export function permissionMatrix(schema: GraphQLSchema): MatrixRow[] {
  const fields = matrixFields(schema);
  const problems = declarationProblems(fields);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const byCoordinate = new Map(fields.map((f) => [f.coordinate, f]));
  return fields.map((f) => {
    const outcomes = Object.fromEntries(
      MATRIX_PRINCIPALS.map((p) => [p, expectedOutcome(byCoordinate, f, p).outcome]),
    ) as Record<MatrixPrincipal, Outcome>;
    return { coordinate: f.coordinate, declaration: describeDeclaration(f.declaration, f.type), outcomes };
  });
}
