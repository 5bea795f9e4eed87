// The layers of packages/server/src and the one direction imports run between them (README,
// "Architecture"). `pnpm lint` runs it (`depcruise src` in packages/server) and fails on any
// forbidden arrow; test/layers.test.ts shows that it does. Paths are relative to packages/server.
//
//   main.ts, server.ts, entities.ts   the composition root: imports anything
//   graphql/, http/                   transports: import domains, auth and platform
//   modules/<domain>/                 domains: import platform, auth and the domains below them
//   auth/                             who calls and what they may do: imports platform only
//   platform/                         what any product needs: imports no other layer

const ROOT_FILES = '^src/[^/]+\\.ts$';

/**
 * Which domains a domain may import (lower ones only, so no two domains ever import each
 * other). To add an arrow, add it here; an arrow that would close a cycle means the lower
 * domain should declare an interface that the higher one implements (as accounts'
 * PersonalWorkspaces, auth's RoleSource) and the composition root wires them.
 */
const DOMAINS = {
  events: [],
  accounts: [],
  audit: ['accounts'],
  workspaces: ['accounts', 'audit', 'events'],
  'api-keys': ['accounts', 'audit', 'workspaces'],
  invitations: ['accounts', 'audit', 'workspaces'],
  members: ['accounts', 'audit', 'workspaces', 'invitations'],
  'saved-filters': ['accounts', 'audit', 'workspaces', 'events'],
  annotations: ['accounts', 'audit', 'workspaces'],
  analytics: ['accounts', 'audit', 'workspaces', 'events', 'saved-filters', 'annotations'],
  exports: ['accounts', 'workspaces', 'members', 'events', 'saved-filters', 'analytics'],
};

const domainRules = Object.entries(DOMAINS).map(([domain, allowed]) => ({
  name: `domain-direction:${domain}`,
  comment: `modules/${domain} may import only these domains: ${allowed.join(', ') || 'none'}`,
  severity: 'error',
  from: { path: `^src/modules/${domain}/` },
  to: {
    path: '^src/modules/([^/]+)/',
    pathNot: [`^src/modules/${domain}/`, ...allowed.map((other) => `^src/modules/${other}/`)],
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'platform-imports-no-layer-above',
      comment: 'platform/ is what any product needs: it knows no auth, domain, transport or root file',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: ['^src/(auth|modules|graphql|http)/', ROOT_FILES] },
    },
    {
      name: 'auth-imports-platform-only',
      comment: 'auth/ knows no domain: what it needs from one (roles, tokens) comes through an interface',
      severity: 'error',
      from: { path: '^src/auth/' },
      to: { path: ['^src/(modules|graphql|http)/', ROOT_FILES] },
    },
    {
      name: 'domains-never-import-transports',
      comment: 'modules/ never import graphql/, http/ or the composition root: those import the domains',
      severity: 'error',
      from: { path: '^src/modules/' },
      to: { path: ['^src/(graphql|http)/', ROOT_FILES] },
    },
    {
      name: 'transports-never-import-the-root',
      comment: 'graphql/ and http/ are built by the composition root (server.ts); they do not import it',
      severity: 'error',
      from: { path: '^src/(graphql|http)/' },
      to: { path: ROOT_FILES },
    },
    ...domainRules,
    {
      name: 'event-engines-behind-the-seam',
      comment:
        'an event engine (modules/events/postgres/, later clickhouse/) is known to the composition root only: every other caller uses the EventStore interface',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/modules/events/', ROOT_FILES] },
      to: { path: '^src/modules/events/(postgres|clickhouse)/' },
    },
    {
      name: 'no-folder-cycles',
      comment: 'no two folders import each other, directly or through others',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-file-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    // Unit tests beside the code may build the whole schema (analytics-cost.test.ts does).
    exclude: { path: ['\\.test\\.ts$', 'node_modules'] },
    doNotFollow: { path: 'node_modules' },
    // `import type` is an arrow too.
    tsPreCompilationDeps: true,
    moduleSystems: ['es6', 'cjs'],
  },
};
