import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApiKeyRole, MemberRole } from '@tally/shared';
import { type GraphQLField, type GraphQLSchema, getNamedType, isNonNullType, isObjectType } from 'graphql';
import { PERMISSIONS_DOC, printPermissions } from '../scripts/print-permissions';
import {
  MATRIX_PRINCIPALS,
  type MatrixField,
  type MatrixPrincipal,
  REACHED_THROUGH,
  declarationProblems,
  expectedOutcome,
  isKeyPrincipal,
  matrixFields,
} from '../src/graphql/permission-matrix';
import { buildTallySchema } from '../src/graphql/schema';
import { hashInvitationToken } from '../src/modules/invitations/invitation-token';
import { track } from './analytics-fixtures';
import { fingerprint } from './db-fingerprint';
import {
  type RoleTeam,
  type TestUser,
  cookieFrom,
  createRoleTeam,
  createUser,
  uniqueEmail,
  createKeySecret,
} from './factories';
import { type GqlResponse, type TestServer, startTestServer } from './harness';

/**
 * Issue 11, item 1: every Query and Mutation field and every Workspace / Analytics field, run as
 * every principal, must answer what docs/permissions.md (derived from the declarations) says:
 * allowed ⇒ data; refused ⇒ the code, null data, and (for mutations) no row changed. Refusals are
 * also tried under an alias, through a fragment and (Workspace fields) through `workspaces`.
 */

const TEAM_NAME = 'Matrix Team';
const SESSION_ID = 'matrix-session';
const PASSWORD = 'correct horse battery';

let server: TestServer;
let schema: GraphQLSchema;
let fields: MatrixField[];
let byCoordinate: Map<string, MatrixField>;
let cast: RoleTeam;
let loginUser: TestUser;
const keys: Record<ApiKeyRole, string> = { ADMIN: '', EDITOR: '', VIEWER: '' };
let savedFilterId = '';
let previewToken = '';

const now = Date.now();
const RANGE = { from: new Date(now - 2 * 86_400_000).toISOString(), to: new Date(now + 86_400_000).toISOString() };

beforeAll(async () => {
  server = await startTestServer({
    INVITATIONS_PER_INVITER_PER_HOUR: '100000',
    INVITATIONS_PER_WORKSPACE_PER_HOUR: '100000',
    INVITATIONS_PER_EMAIL_PER_DAY: '100000',
    PASSWORD_RESETS_PER_ADDRESS_PER_HOUR: '100000',
    PASSWORD_RESETS_PER_EMAIL_PER_HOUR: '100000',
    // The account page's mutations act on stand-ins (standIn below), signed up here.
    SIGNUP_MAX_PER_ADDRESS: '100000',
  });
  schema = await buildTallySchema(null);
  fields = matrixFields(schema);
  byCoordinate = new Map(fields.map((f) => [f.coordinate, f]));
  [cast, loginUser] = await Promise.all([createRoleTeam(server, TEAM_NAME), createUser(server)]);
  for (const role of ['ADMIN', 'EDITOR', 'VIEWER'] as const) {
    keys[role] = await createKeySecret(server, cast.owner, cast.teamId, role);
  }
  await track(server, keys.EDITOR, {
    events: [{ sessionId: SESSION_ID, name: 'search_docs', type: 'tool_call', durationMs: 12 }],
  });
  savedFilterId = await freshSavedFilter();
  readKeyId = await freshKeyId();
  previewToken = (await insertInvitation(cast.teamId, uniqueEmail('preview'))).token;
});
afterAll(() => server.close());

/** A key of the team that queries read (Workspace.apiKey): made before any query runs. */
let readKeyId: string;

// ---------------------------------------------------------------------------------------------
// Principals and fixtures

function credentialOf(principal: MatrixPrincipal): string | undefined {
  switch (principal) {
    case 'OWNER':
      return cast.owner.accessToken;
    case 'ADMIN':
      return cast.admin.accessToken;
    case 'EDITOR':
      return cast.editor.accessToken;
    case 'VIEWER':
      return cast.viewer.accessToken;
    case 'KEY_ADMIN':
      return keys.ADMIN;
    case 'KEY_EDITOR':
      return keys.EDITOR;
    case 'KEY_VIEWER':
      return keys.VIEWER;
    case 'NON_MEMBER':
      return cast.stranger.accessToken;
    case 'ANONYMOUS':
      return undefined;
  }
}

/** The person behind a principal and their role in the team (keys and anonymous: none). */
function personOf(principal: MatrixPrincipal): { user: TestUser; role: MemberRole | null } | null {
  switch (principal) {
    case 'OWNER':
      return { user: cast.owner, role: 'OWNER' };
    case 'ADMIN':
      return { user: cast.admin, role: 'ADMIN' };
    case 'EDITOR':
      return { user: cast.editor, role: 'EDITOR' };
    case 'VIEWER':
      return { user: cast.viewer, role: 'VIEWER' };
    case 'NON_MEMBER':
      return { user: cast.stranger, role: null };
    default:
      return null;
  }
}

async function sql<T>(text: string, params: unknown[] = []): Promise<T[]> {
  return (await server.tally.db.query(text, params)) as T[];
}

async function one<T>(text: string, params: unknown[] = []): Promise<T> {
  const [row] = await sql<T>(text, params);
  if (!row) throw new Error(`no row from ${text}`);
  return row;
}

/** A user row nobody logs in as: a member to change or remove, a second owner. */
async function insertUser(): Promise<string> {
  const row = await one<{ id: string }>(
    `INSERT INTO users (email, name, password_hash) VALUES ($1, 'Fixture', 'not a hash') RETURNING id`,
    [uniqueEmail('fixture')],
  );
  return row.id;
}

async function insertTeam(name: string, members: Array<[string, MemberRole]>): Promise<string> {
  const { id } = await one<{ id: string }>(`INSERT INTO workspaces (kind, name) VALUES ('TEAM', $1) RETURNING id`, [
    name,
  ]);
  for (const [userId, role] of members) {
    await sql(`INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, $3)`, [id, userId, role]);
  }
  return id;
}

/** A pending VIEWER invitation; `invitedBy` must be an OWNER or ADMIN of the team for it to be accepted. */
async function insertInvitation(
  workspaceId: string,
  email: string,
  invitedBy: string = cast.owner.id,
): Promise<{ id: string; token: string }> {
  const token = randomBytes(32).toString('base64url');
  const { id } = await one<{ id: string }>(
    `INSERT INTO invitations (workspace_id, email, role, token_hash, invited_by, expires_at)
     VALUES ($1, $2, 'VIEWER', $3, $4, now() + interval '7 days') RETURNING id`,
    [workspaceId, email, hashInvitationToken(token), invitedBy],
  );
  return { id, token };
}

async function freshMember(): Promise<string> {
  const userId = await insertUser();
  await sql(`INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, 'VIEWER')`, [cast.teamId, userId]);
  return userId;
}

async function asOwner<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await server.gql<T>(query, variables, { token: cast.owner.accessToken });
  if (!res.data) throw new Error(`fixture failed: ${JSON.stringify(res.errors)}`);
  return res.data;
}

async function freshKeyId(): Promise<string> {
  // With an expiry, so that it can still be made once Mutation.setApiKeyPolicy has set a lifetime.
  const data = await asOwner<{ createApiKey: { apiKey: { id: string } } }>(
    `mutation($w: ID!, $expiresAt: DateTime) { createApiKey(workspaceId: $w, input: { name: "to revoke", role: VIEWER, expiresAt: $expiresAt }) { apiKey { id } } }`,
    { w: cast.teamId, expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString() },
  );
  return data.createApiKey.apiKey.id;
}

let counter = 0;
const unique = (label: string) => `${label} ${++counter}`;

async function freshSavedFilter(): Promise<string> {
  const data = await asOwner<{ createSavedFilter: { id: string } }>(
    `mutation($w: ID!, $i: SavedFilterInput!) { createSavedFilter(workspaceId: $w, input: $i) { id } }`,
    { w: cast.teamId, i: { name: unique('filter'), filter: { names: ['search_docs'] } } },
  );
  return data.createSavedFilter.id;
}

async function freshAnnotation(): Promise<string> {
  const data = await asOwner<{ createAnnotation: { id: string } }>(
    `mutation($w: ID!, $i: AnnotationInput!) { createAnnotation(workspaceId: $w, input: $i) { id } }`,
    { w: cast.teamId, i: { at: new Date(now).toISOString(), text: 'fixture' } },
  );
  return data.createAnnotation.id;
}

/** A team where the principal holds its own role beside another OWNER (to leave or delete it). */
async function scratchTeam(principal: MatrixPrincipal): Promise<{ id: string; name: string } | null> {
  const person = personOf(principal);
  if (!person?.role) return null;
  const name = unique('Scratch');
  const id = await insertTeam(name, [
    [person.user.id, person.role],
    [await insertUser(), 'OWNER'],
  ]);
  return { id, name };
}

async function freshRefreshCookie(): Promise<string> {
  const res = await server.gql(
    `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }`,
    {
      e: loginUser.email,
      p: loginUser.password,
    },
  );
  return cookieFrom(res.setCookies);
}

/**
 * A fresh person acting for a user principal, for the mutations that change the caller's own
 * account (its password, its email, its existence): the cast must live on, unchanged, for the
 * rest of the matrix. The stand-in holds the principal's role in a scratch team beside another
 * owner, so that deleting it is allowed. Keys and anonymous callers keep their own credential.
 */
async function standIn(principal: MatrixPrincipal): Promise<{ token?: string; password: string }> {
  const person = personOf(principal);
  if (!person) return { password: PASSWORD };
  const user = await createUser(server, { password: PASSWORD });
  if (person.role)
    await insertTeam(unique('Stand-in'), [
      [user.id, person.role],
      [await insertUser(), 'OWNER'],
    ]);
  return { token: user.accessToken, password: user.password };
}

async function freshEmailChangeToken(): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await sql(
    `INSERT INTO email_changes (user_id, new_email, token_hash, expires_at)
     VALUES ($1, $2, $3, now() + interval '1 hour')`,
    [await insertUser(), uniqueEmail('changed'), createHash('sha256').update(token).digest()],
  );
  return token;
}

async function freshResetToken(): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await sql(
    `INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 hour')`,
    [await insertUser(), createHash('sha256').update(token).digest()],
  );
  return token;
}

// ---------------------------------------------------------------------------------------------
// The argument builders: one per field, filling every argument it takes. A field missing here,
// or an argument its builder does not fill, fails the test and says what to add.

interface Call {
  args: Record<string, unknown>;
  /**
   * Sent instead of the principal's credential: a stand-in of the same kind (standIn), for
   * mutations that would end the principal's own account or password.
   */
  token?: string;
  /** The refresh cookie to send (refreshSession). */
  cookie?: string;
  /** Null is this principal's legitimate answer (a key's `me`, its `viewerRole`). */
  allowNull?: boolean;
}
type Builder = (principal: MatrixPrincipal) => Call | Promise<Call>;

const none: Builder = () => ({ args: {} });
const nullForKeys: Builder = (p) => ({ args: {}, allowNull: isKeyPrincipal(p) });

const ARGUMENTS: Record<string, Builder> = {
  'Query.me': nullForKeys,
  'Query.invitationPreview': () => ({ args: { token: previewToken } }),
  'Query.workspaces': none,
  'Query.workspace': () => ({ args: { id: cast.teamId } }),

  'Workspace.id': none,
  'Workspace.kind': none,
  'Workspace.name': none,
  'Workspace.createdAt': none,
  'Workspace.apiKeys': none,
  'Workspace.apiKey': () => ({ args: { id: readKeyId } }),
  'Workspace.apiKeyPolicy': none,
  'Workspace.apiKeysExpiringSoon': none,
  'Workspace.members': none,
  'Workspace.viewerRole': nullForKeys,
  'Workspace.viewerScopes': none,
  'Workspace.savedFilters': none,
  'Workspace.auditLog': () => ({ args: { first: 5, after: null } }),
  'Workspace.invitations': () => ({ args: { status: 'PENDING' } }),
  'Workspace.annotations': () => ({ args: { range: RANGE } }),
  'Workspace.lastEventAt': () => ({ args: {}, allowNull: true }),
  'Workspace.analytics': () => ({ args: { range: RANGE, filter: { types: ['tool_call'] }, savedFilterId } }),

  'Analytics.overview': () => ({ args: { interval: 'DAY', compare: 'PREVIOUS_PERIOD' } }),
  'Analytics.sessions': () => ({ args: { first: 5, after: null, orderBy: { field: 'EVENTS', direction: 'DESC' } } }),
  'Analytics.session': () => ({ args: { id: SESSION_ID } }),
  'Analytics.toolsUsage': () => ({ args: { limit: 5, compare: 'PREVIOUS_PERIOD' } }),
  'Analytics.breakdown': () => ({ args: { by: { sessionAttribute: 'app' }, limit: 5 } }),
  'Analytics.durationSeries': () => ({ args: { interval: 'DAY' } }),
  'Analytics.activity': () => ({ args: { first: 5, after: null } }),

  'Mutation.signUp': () => ({ args: { email: uniqueEmail('signup'), password: PASSWORD, name: 'Matrix' } }),
  'Mutation.logIn': () => ({ args: { email: loginUser.email, password: loginUser.password } }),
  'Mutation.refreshSession': async () => ({ args: {}, cookie: await freshRefreshCookie() }),
  'Mutation.logOut': none,
  'Mutation.requestPasswordReset': () => ({ args: { email: uniqueEmail('reset') } }),
  'Mutation.resetPassword': async () => ({ args: { token: await freshResetToken(), password: `${PASSWORD} again` } }),
  'Mutation.updateProfile': () => ({ args: { name: 'Matrix Person' } }),
  'Mutation.changePassword': async (p) => {
    const { token, password } = await standIn(p);
    return { token, args: { currentPassword: password, newPassword: `${PASSWORD} changed` } };
  },
  'Mutation.requestEmailChange': async (p) => {
    const { token, password } = await standIn(p);
    return { token, args: { newEmail: uniqueEmail('new'), currentPassword: password } };
  },
  'Mutation.confirmEmailChange': async () => ({ args: { token: await freshEmailChangeToken() } }),
  'Mutation.deleteAccount': async (p) => {
    const { token, password } = await standIn(p);
    return { token, args: { password } };
  },
  'Query.homeWorkspace': none,
  'Mutation.rememberWorkspace': () => ({ args: { workspaceId: cast.teamId } }),
  'Mutation.createApiKey': () => ({ args: { workspaceId: cast.teamId, input: { name: 'Matrix', role: 'VIEWER' } } }),
  'Mutation.revokeApiKey': async () => ({ args: { workspaceId: cast.teamId, apiKeyId: await freshKeyId() } }),
  'Mutation.setApiKeyAllowedIps': async () => ({
    args: { workspaceId: cast.teamId, apiKeyId: await freshKeyId(), allowedIps: ['10.0.0.0/8'] },
  }),
  'Mutation.setApiKeyRateLimits': async () => ({
    args: { workspaceId: cast.teamId, apiKeyId: await freshKeyId(), eventsPerMinute: 1000, queriesPerMinute: 100 },
  }),
  'Mutation.setApiKeyPolicy': () => ({
    args: { workspaceId: cast.teamId, input: { maxLifetimeDays: 3650, maxRole: null, requireAllowlist: false } },
  }),
  'Mutation.rollApiKey': async () => ({
    args: {
      workspaceId: cast.teamId,
      apiKeyId: await freshKeyId(),
      graceUntil: new Date(Date.now() + 3_600_000).toISOString(),
    },
  }),
  'Mutation.inviteMember': () => ({
    args: { workspaceId: cast.teamId, email: uniqueEmail('invitee'), role: 'VIEWER' },
  }),
  'Mutation.resendInvitation': async () => ({
    args: { workspaceId: cast.teamId, invitationId: (await insertInvitation(cast.teamId, uniqueEmail('resend'))).id },
  }),
  'Mutation.revokeInvitation': async () => ({
    args: { workspaceId: cast.teamId, invitationId: (await insertInvitation(cast.teamId, uniqueEmail('revoke'))).id },
  }),
  // An invitation to the caller's own email, into another team (members cannot be invited twice).
  'Mutation.acceptInvitation': async (p) => {
    const email = personOf(p)?.user.email ?? uniqueEmail('nobody');
    const owner = await insertUser();
    const team = await insertTeam(unique('Inviting'), [[owner, 'OWNER']]);
    return { args: { token: (await insertInvitation(team, email, owner)).token } };
  },
  'Mutation.changeMemberRole': async () => ({
    args: { workspaceId: cast.teamId, userId: await freshMember(), role: 'EDITOR' },
  }),
  'Mutation.removeMember': async () => ({ args: { workspaceId: cast.teamId, userId: await freshMember() } }),
  'Mutation.leaveTeam': async (p) => ({ args: { workspaceId: (await scratchTeam(p))?.id ?? cast.teamId } }),
  'Mutation.createTeam': () => ({ args: { name: unique('Made') } }),
  // Members act on a team of their own (it really goes); everyone else on the matrix team itself.
  'Mutation.deleteTeam': async (p) => {
    const team = (await scratchTeam(p)) ?? { id: cast.teamId, name: TEAM_NAME };
    return { args: { workspaceId: team.id, confirmName: team.name } };
  },
  'Mutation.renameWorkspace': () => ({ args: { workspaceId: cast.teamId, name: TEAM_NAME } }),
  'Mutation.createSavedFilter': () => ({
    args: { workspaceId: cast.teamId, input: { name: unique('made'), filter: { names: ['x'] } } },
  }),
  'Mutation.updateSavedFilter': async () => ({
    args: {
      workspaceId: cast.teamId,
      savedFilterId: await freshSavedFilter(),
      input: { name: unique('renamed'), filter: { names: ['y'] } },
    },
  }),
  'Mutation.deleteSavedFilter': async () => ({
    args: { workspaceId: cast.teamId, savedFilterId: await freshSavedFilter() },
  }),
  'Mutation.createAnnotation': () => ({
    args: { workspaceId: cast.teamId, input: { at: new Date(now).toISOString(), text: 'made' } },
  }),
  'Mutation.updateAnnotation': async () => ({
    args: {
      workspaceId: cast.teamId,
      annotationId: await freshAnnotation(),
      input: { at: new Date(now).toISOString(), text: 'changed' },
    },
  }),
  'Mutation.deleteAnnotation': async () => ({
    args: { workspaceId: cast.teamId, annotationId: await freshAnnotation() },
  }),
};

// ---------------------------------------------------------------------------------------------
// Documents

interface Step {
  coordinate: string;
  field: GraphQLField<unknown, unknown>;
  call: Call;
}

type Variant = 'plain' | 'alias' | 'fragment';

class Document {
  private readonly definitions: string[] = [];
  private readonly fragments: string[] = [];
  readonly variables: Record<string, unknown> = {};

  constructor(private readonly operation: 'query' | 'mutation') {}

  /** The field with its arguments as variables, and `{ __typename }` or `inner` below it. */
  field(step: Step, responseKey: string, inner?: string): string {
    const args = step.field.args.map((arg) => {
      const name = `v${Object.keys(this.variables).length}`;
      this.definitions.push(`$${name}: ${String(arg.type)}`);
      this.variables[name] = step.call.args[arg.name];
      return `${arg.name}: $${name}`;
    });
    const key = responseKey === step.field.name ? responseKey : `${responseKey}: ${step.field.name}`;
    const selection = inner ?? (isObjectType(getNamedType(step.field.type)) ? '{ __typename }' : '');
    return `${key}${args.length ? `(${args.join(', ')})` : ''} ${selection}`;
  }

  fragment(onType: string, body: string): string {
    const name = `F${this.fragments.length}`;
    this.fragments.push(`fragment ${name} on ${onType} { ${body} }`);
    return `...${name}`;
  }

  text(selections: string[]): string {
    const defs = this.definitions.length ? `(${this.definitions.join(', ')})` : '';
    return `${this.operation} Matrix${defs} { ${selections.join('\n')} }\n${this.fragments.join('\n')}`;
  }
}

/** Renders one field's whole path; returns the selection and the response keys along it. */
function renderPath(doc: Document, steps: Step[], variant: Variant, rootKey: string): [string, string[]] {
  const keys = steps.map((s, i) => (i === 0 ? rootKey : s.field.name));
  const leaf = steps.length - 1;
  if (variant === 'alias') keys[leaf] = `aliased_${steps[leaf]?.field.name ?? ''}`;
  let inner: string | undefined;
  for (let i = leaf; i >= 0; i--) {
    const step = steps[i];
    if (!step) continue;
    let text = doc.field(step, keys[i] ?? step.field.name, inner);
    if (variant === 'fragment' && i === leaf) {
      const parent = i === 0 ? (step.coordinate.startsWith('Mutation.') ? 'Mutation' : 'Query') : steps[i - 1];
      const onType = typeof parent === 'string' ? parent : String(getNamedType(parent?.field.type));
      text = doc.fragment(onType, text);
    }
    inner = `{ ${text} }`;
    if (i === 0) return [text, keys];
  }
  throw new Error('empty path');
}

function describeProblemArgs(step: Step): string[] {
  const wanted = step.field.args.map((a) => a.name).sort();
  const given = Object.keys(step.call.args).sort();
  const problems: string[] = [];
  for (const name of wanted) {
    if (!given.includes(name)) {
      problems.push(
        `${step.coordinate}: the matrix cannot fill argument "${name}"; add it to ARGUMENTS['${step.coordinate}'] in test/permission-matrix.test.ts`,
      );
    }
  }
  for (const name of given) {
    if (!wanted.includes(name)) problems.push(`${step.coordinate}: ARGUMENTS fills "${name}", which it does not take`);
  }
  return problems;
}

async function stepsFor(f: MatrixField, principal: MatrixPrincipal): Promise<Step[]> {
  const steps: Step[] = [];
  for (const coordinate of [...REACHED_THROUGH[f.type], f.coordinate]) {
    const field = byCoordinate.get(coordinate);
    const builder = ARGUMENTS[coordinate];
    if (!field || !builder) throw new Error(`no argument builder for ${coordinate}: add one to ARGUMENTS`);
    const step = { coordinate, field: field.field, call: await builder(principal) };
    const problems = describeProblemArgs(step);
    if (problems.length) throw new Error(problems.join('\n'));
    steps.push(step);
  }
  return steps;
}

function valueAt(data: unknown, keys: readonly string[]): unknown {
  let value = data;
  for (const key of keys) {
    if (value === null || value === undefined || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** What is wrong with one field's answer, given what the matrix expects. */
function check(
  label: string,
  res: GqlResponse,
  f: MatrixField,
  principal: MatrixPrincipal,
  steps: Step[],
  keys: string[],
): string[] {
  const expected = expectedOutcome(byCoordinate, f, principal);
  const mine = (res.errors ?? []).filter((e) => e.path?.[0] === keys[0]);
  const foreign = (res.errors ?? []).filter((e) => !e.path);
  const at = `${label} ${f.coordinate} as ${principal}`;
  if (foreign.length) return [`${at}: request refused: ${JSON.stringify(foreign)}`];
  if (expected.outcome === 'ALLOWED') {
    if (mine.length) return [`${at}: expected data, got ${JSON.stringify(mine.map((e) => e.extensions?.['code']))}`];
    const value = valueAt(res.data, keys);
    const nullable = steps.at(-1)?.call.allowNull === true;
    if (value === undefined || (value === null && !nullable)) return [`${at}: expected data, got ${String(value)}`];
    return [];
  }
  const refusedKeys = keys.slice(0, expected.refusedAt + 1);
  const problems: string[] = [];
  if (mine.length === 0) problems.push(`${at}: expected ${expected.outcome}, got data ${JSON.stringify(res.data)}`);
  for (const e of mine) {
    if (e.extensions?.['code'] !== expected.outcome || JSON.stringify(e.path) !== JSON.stringify(refusedKeys)) {
      problems.push(
        `${at}: expected ${expected.outcome} at ${refusedKeys.join('.')}, got ${String(e.extensions?.['code'])} at ${e.path?.join('.')}`,
      );
    }
  }
  const value = valueAt(res.data, refusedKeys);
  if (value !== null && value !== undefined) problems.push(`${at}: refused, yet data ${JSON.stringify(value)}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------

describe('the permission matrix', () => {
  it('docs/permissions.md is what `pnpm permissions` prints', async () => {
    expect(readFileSync(PERMISSIONS_DOC, 'utf8')).toBe(await printPermissions(schema));
  });

  it('every field is declared and has an argument builder (and no builder is left over)', () => {
    expect(declarationProblems(fields)).toEqual([]);
    const missing = fields
      .filter((f) => !ARGUMENTS[f.coordinate])
      .map((f) => `${f.coordinate}: no argument builder; add one to ARGUMENTS in test/permission-matrix.test.ts`);
    const stale = Object.keys(ARGUMENTS).filter((c) => !byCoordinate.has(c));
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
  });

  it('queries and Workspace / Analytics fields: every principal gets what the matrix says, plain, aliased and through fragments', async () => {
    const readable = fields.filter((f) => f.type !== 'Mutation');
    const problems: string[] = [];
    for (const principal of MATRIX_PRINCIPALS) {
      const before = await fingerprint(server);
      const prepared = await Promise.all(readable.map(async (f) => ({ f, steps: await stepsFor(f, principal) })));
      // Roots that may be null share one document each variant; a non-null root goes alone, since
      // its refusal nulls the whole answer.
      const shared = prepared.filter(({ steps }) => !isNonNullType(steps[0]?.field.type));
      const alone = prepared.filter(({ steps }) => isNonNullType(steps[0]?.field.type));
      for (const variant of ['plain', 'alias', 'fragment'] as const) {
        for (const group of [shared, ...alone.map((entry) => [entry])]) {
          const doc = new Document('query');
          const rendered = group.map(({ steps }, i) => {
            // Root fields keep their own name (unique in the document); deeper paths need one each.
            const root = steps.length === 1 ? (steps[0]?.field.name ?? '') : `e${i}`;
            return renderPath(doc, steps, variant, root);
          });
          const res = await server.gql(doc.text(rendered.map(([text]) => text)), doc.variables, {
            token: credentialOf(principal),
          });
          group.forEach(({ f, steps }, i) => {
            problems.push(...check(variant, res, f, principal, steps, rendered[i]?.[1] ?? []));
          });
        }
      }
      expect({ principal, after: await fingerprint(server) }).toEqual({ principal, after: before });
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('a Workspace field refused in the team is refused the same way through `workspaces`', async () => {
    const problems: string[] = [];
    const workspaceFields = fields.filter((f) => f.type === 'Workspace');
    for (const principal of MATRIX_PRINCIPALS) {
      if (principal === 'NON_MEMBER' || principal === 'ANONYMOUS') continue;
      for (const f of workspaceFields) {
        const expected = expectedOutcome(byCoordinate, f, principal);
        if (expected.outcome === 'ALLOWED') continue;
        const steps = await stepsFor(f, principal);
        const leaf = steps.at(-1);
        if (!leaf) continue;
        const doc = new Document('query');
        const res = await server.gql(doc.text([`workspaces { id ${doc.field(leaf, 'nested')} }`]), doc.variables, {
          token: credentialOf(principal),
        });
        const errors = res.errors ?? [];
        const ok =
          res.data === null &&
          errors.length === 1 &&
          errors[0]?.extensions?.['code'] === expected.outcome &&
          errors[0]?.path?.[0] === 'workspaces' &&
          errors[0]?.path?.[2] === 'nested';
        if (!ok) problems.push(`${f.coordinate} as ${principal} through workspaces: ${JSON.stringify(res)}`);
      }
    }
    expect(problems).toEqual([]);

    // The two without a role: the team is not in the non-member's list; nobody's list for no credential.
    const outsider = await server.gql<{ workspaces: Array<{ id: string }> }>(`{ workspaces { id name } }`, undefined, {
      token: credentialOf('NON_MEMBER'),
    });
    expect(outsider.data?.workspaces.map((w) => w.id)).toEqual([cast.stranger.personalWorkspaceId]);
    const anonymous = await server.gql(`{ workspaces { id } }`);
    expect({ data: anonymous.data, code: anonymous.errors?.[0]?.extensions?.['code'] }).toEqual({
      data: null,
      code: 'UNAUTHENTICATED',
    });
  }, 120_000);

  it('mutations: allowed ones succeed; refused ones, plain, aliased or through a fragment, change nothing', async () => {
    const problems: string[] = [];
    const run = async (f: MatrixField, principal: MatrixPrincipal, steps: Step[], variant: Variant) => {
      const doc = new Document('mutation');
      const [text, keys] = renderPath(doc, steps, variant, f.name);
      const res = await server.gql(doc.text([text]), doc.variables, {
        token: steps[0]?.call.token ?? credentialOf(principal),
        cookie: steps[0]?.call.cookie,
      });
      problems.push(...check(variant, res, f, principal, steps, keys));
    };
    for (const f of fields.filter((m) => m.type === 'Mutation')) {
      // Fixtures first (fresh ones per principal), then every refusal at once between two
      // fingerprints, then the allowed calls one by one.
      const cells: Array<{ principal: MatrixPrincipal; steps: Step[]; allowed: boolean }> = [];
      for (const principal of MATRIX_PRINCIPALS) {
        const allowed = expectedOutcome(byCoordinate, f, principal).outcome === 'ALLOWED';
        cells.push({ principal, steps: await stepsFor(f, principal), allowed });
      }
      const before = await fingerprint(server);
      await Promise.all(
        cells
          .filter((c) => !c.allowed)
          .flatMap((c) => (['plain', 'alias', 'fragment'] as const).map((v) => run(f, c.principal, c.steps, v))),
      );
      const after = await fingerprint(server);
      const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
      if (changed.length) problems.push(`${f.coordinate}: refused calls changed ${changed.join(', ')}`);
      for (const c of cells.filter((cell) => cell.allowed)) await run(f, c.principal, c.steps, 'plain');
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
