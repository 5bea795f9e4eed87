import { startTestServer, type TestServer } from './harness';
import { createUser } from './factories';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

it('signs up and lists the personal workspace', async () => {
  const user = await createUser(server);
  const res = await server.gql(`{ workspaces { id kind name viewerRole viewerScopes } }`, {}, { token: user.accessToken });
  expect(res.errors).toBeUndefined();
  expect(res.data).toEqual({ workspaces: [expect.objectContaining({ kind: 'PERSONAL', viewerRole: 'OWNER' })] });
});
