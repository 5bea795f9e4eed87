import { API_KEY_ROLES, type ApiKeyRole, Scope, can, scopesFor } from '@tally/shared';
import { GRAPHQL_ENDPOINT } from '../../app/apollo-client';

/** Stands for the secret in examples; the secret itself is shown once, in its own field. */
export const KEY_PLACEHOLDER = 'tly_…';

/** A query every key holding workspace.read may run: the workspace the key belongs to. */
export const WORKSPACE_QUERY = '{ workspace { id name } }';

/** The first event of the Getting started panel and of the README. */
export const FIRST_EVENT_BODY = '{"events":[{"sessionId":"s1","name":"signup","type":"custom"}]}';

/** Where SDKs send events (DESIGN.md, "HTTP surface"). */
export const EVENTS_ENDPOINT = '/v1/events';

export function ingestCurl(origin: string, key: string = KEY_PLACEHOLDER): string {
  return `curl -X POST ${origin}${EVENTS_ENDPOINT} -H "authorization: Bearer ${key}" -H 'content-type: application/json' -d '${FIRST_EVENT_BODY}'`;
}

export function queryCurl(origin: string, key: string = KEY_PLACEHOLDER): string {
  const body = JSON.stringify({ query: WORKSPACE_QUERY });
  return `curl -X POST ${origin}${GRAPHQL_ENDPOINT} -H "authorization: Bearer ${key}" -H 'content-type: application/json' -d '${body}'`;
}

export type ApiKeyExample =
  | {
      kind: 'query';
      /** The scope the example needs; the key's role holds it (from the shared table). */
      scope: Scope;
      query: string;
      curl: string;
    }
  | {
      kind: 'ingest';
      scope: Scope;
      body: string;
      curl: string;
    };

/**
 * The example to show for a key of `role`, from the shared role → scope table: a GraphQL query
 * the key may run where it holds workspace.read (Viewer, Admin), else the ingest request where
 * it holds events.track (Editor keys, which cannot read the workspace by design). Null for a
 * role that holds neither. `key`: the secret to put in (the shown-once dialog's), else a placeholder.
 */
export function apiKeyExample(role: ApiKeyRole, origin: string, key: string = KEY_PLACEHOLDER): ApiKeyExample | null {
  const scopes = scopesFor({ kind: 'apiKey', role });
  if (can(scopes, Scope.WORKSPACE_READ)) {
    return { kind: 'query', scope: Scope.WORKSPACE_READ, query: WORKSPACE_QUERY, curl: queryCurl(origin, key) };
  }
  if (can(scopes, Scope.EVENTS_TRACK)) {
    return { kind: 'ingest', scope: Scope.EVENTS_TRACK, body: FIRST_EVENT_BODY, curl: ingestCurl(origin, key) };
  }
  return null;
}

/** The key roles that hold `scope`, in the table's order. */
export function apiKeyRolesWith(scope: Scope): ApiKeyRole[] {
  return API_KEY_ROLES.filter((role) => can(scopesFor({ kind: 'apiKey', role }), scope));
}
