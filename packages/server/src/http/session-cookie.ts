import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionCookie } from '../modules/accounts/account-context';

export const REFRESH_COOKIE = 'tally_refresh';

/**
 * The dashboard's refresh token: httpOnly (no script reads it), SameSite=Strict, sent only to
 * /graphql, and Secure whenever Tally is served over https.
 */
export function sessionCookieFor(secure: boolean) {
  const base = { httpOnly: true, sameSite: 'strict' as const, secure, path: '/graphql' };
  return (request: FastifyRequest, reply: FastifyReply): SessionCookie => ({
    read: () => {
      const header = request.headers.cookie;
      return header ? request.server.parseCookie(header)[REFRESH_COOKIE] : undefined;
    },
    // @fastify/cookie runs without hooks (see app.ts), so the header is written here.
    set: (token, expiresAt) => {
      reply.header(
        'set-cookie',
        request.server.serializeCookie(REFRESH_COOKIE, token, { ...base, expires: expiresAt }),
      );
    },
    clear: () => {
      reply.header('set-cookie', request.server.serializeCookie(REFRESH_COOKIE, '', { ...base, expires: new Date(0) }));
    },
  });
}
