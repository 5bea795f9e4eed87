import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionCookie } from '../graphql/context';

export const REFRESH_COOKIE = 'tally_refresh';

/**
 * The dashboard's refresh token: httpOnly (no script reads it), SameSite=Strict, sent only to
 * /graphql, and Secure whenever Tally is served over https.
 */
export function sessionCookieFor(secure: boolean) {
  const base = { httpOnly: true, sameSite: 'strict' as const, secure, path: '/graphql' };
  return (request: FastifyRequest, reply: FastifyReply): SessionCookie => ({
    read: () => request.cookies[REFRESH_COOKIE],
    set: (token, expiresAt) => {
      reply.setCookie(REFRESH_COOKIE, token, { ...base, expires: expiresAt });
    },
    clear: () => {
      reply.clearCookie(REFRESH_COOKIE, base);
    },
  });
}
