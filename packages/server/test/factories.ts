import { randomUUID } from 'node:crypto';
import type { ApiKeyRole, MemberRole } from '@tally/shared';
import type { TestServer } from './harness';

export interface TestUser {
  id: string;
  email: string;
  name: string;
  password: string;
  accessToken: string;
  /** `tally_refresh=…`, ready for a Cookie header. */
  refreshCookie: string;
  personalWorkspaceId: string;
}

export const SIGN_UP = /* GraphQL */ `
  mutation SignUp($email: String!, $password: String!, $name: String!) {
    signUp(email: $email, password: $password, name: $name) {
      accessToken
      user {
        id
        email
        name
        createdAt
      }
    }
  }
`;

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.test`;
}

export function cookieFrom(setCookies: string[], name = 'tally_refresh'): string {
  const found = setCookies.find((c) => c.startsWith(`${name}=`));
  if (!found) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookies)}`);
  return found.split(';')[0] ?? '';
}

export async function createUser(
  server: TestServer,
  overrides: Partial<{ email: string; name: string; password: string }> = {},
): Promise<TestUser> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? 'correct horse battery';
  const name = overrides.name ?? 'Test User';
  const res = await server.gql<{ signUp: { accessToken: string; user: { id: string; email: string; name: string } } }>(
    SIGN_UP,
    { email, password, name },
  );
  if (!res.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
  const rows: Array<{ id: string }> = await server.tally.db.query(
    `SELECT id FROM workspaces WHERE personal_owner_id = $1`,
    [res.data.signUp.user.id],
  );
  const personal = rows[0];
  if (!personal) throw new Error('no personal workspace');
  return {
    id: res.data.signUp.user.id,
    email: res.data.signUp.user.email,
    name,
    password,
    accessToken: res.data.signUp.accessToken,
    refreshCookie: cookieFrom(res.setCookies),
    personalWorkspaceId: personal.id,
  };
}

/** A team workspace with the given members, written straight to the database. */
export async function createTeamWithMembers(
  server: TestServer,
  name: string,
  members: Array<{ user: TestUser; role: MemberRole }>,
): Promise<string> {
  const rows: Array<{ id: string }> = await server.tally.db.query(
    `INSERT INTO workspaces (kind, name) VALUES ('TEAM', $1) RETURNING id`,
    [name],
  );
  const id = rows[0]?.id;
  if (!id) throw new Error('team insert failed');
  for (const member of members) {
    await server.tally.db.query(`INSERT INTO members (workspace_id, user_id, role) VALUES ($1, $2, $3)`, [
      id,
      member.user.id,
      member.role,
    ]);
  }
  return id;
}

export interface RoleTeam {
  teamId: string;
  owner: TestUser;
  admin: TestUser;
  editor: TestUser;
  viewer: TestUser;
  /** Signed up, but in no role in the team. */
  stranger: TestUser;
}

/** A team with one member in every role, and a stranger: the cast of most permission tests. */
export async function createRoleTeam(server: TestServer, name: string): Promise<RoleTeam> {
  const [owner, admin, editor, viewer, stranger] = await Promise.all(
    Array.from({ length: 5 }, () => createUser(server)),
  );
  if (!owner || !admin || !editor || !viewer || !stranger) throw new Error('user creation failed');
  const teamId = await createTeamWithMembers(server, name, [
    { user: owner, role: 'OWNER' },
    { user: admin, role: 'ADMIN' },
    { user: editor, role: 'EDITOR' },
    { user: viewer, role: 'VIEWER' },
  ]);
  return { teamId, owner, admin, editor, viewer, stranger };
}

export const CREATE_API_KEY = /* GraphQL */ `
  mutation CreateApiKey($workspaceId: ID!, $input: CreateApiKeyInput!) {
    createApiKey(workspaceId: $workspaceId, input: $input) {
      secret
      apiKey {
        id
        name
        description
        role
        scopes
        status
        prefix
        createdAt
        createdBy {
          id
          email
        }
        expiresAt
        lastUsedAt
        revokedAt
      }
    }
  }
`;

export interface CreatedKey {
  secret: string;
  apiKey: {
    id: string;
    name: string;
    description: string | null;
    role: ApiKeyRole;
    scopes: string[];
    status: string;
    prefix: string;
    createdAt: string;
    createdBy: { id: string; email: string } | null;
    expiresAt: string | null;
    lastUsedAt: string | null;
    revokedAt: string | null;
  };
}

export interface KeyInput {
  name?: string;
  description?: string | null;
  role?: ApiKeyRole;
  expiresAt?: string | null;
  allowedIps?: string[] | null;
}

/** An API key made through the API by `by` (a VIEWER key named "Key" unless `input` says otherwise). */
export async function createKey(
  server: Pick<TestServer, 'gql'>,
  by: { accessToken: string },
  workspaceId: string,
  input: KeyInput = {},
): Promise<CreatedKey> {
  const res = await server.gql<{ createApiKey: CreatedKey }>(
    CREATE_API_KEY,
    { workspaceId, input: { name: 'Key', role: 'VIEWER', ...input } },
    { token: by.accessToken },
  );
  if (!res.data?.createApiKey) throw new Error(`createApiKey failed: ${JSON.stringify(res.errors)}`);
  return res.data.createApiKey;
}

/** The secret of a new key of `role`, for tests that only send with it. */
export async function createKeySecret(
  server: Pick<TestServer, 'gql'>,
  by: { accessToken: string },
  workspaceId: string,
  role: ApiKeyRole,
): Promise<string> {
  return (await createKey(server, by, workspaceId, { role })).secret;
}
