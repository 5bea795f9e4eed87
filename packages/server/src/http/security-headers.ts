import { IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet, { type HelmetOptions } from 'helmet';
import { LANDING_PAGE_CSP } from '../graphql/landing-page';

/**
 * The dashboard's Content-Security-Policy (helmet's directive names), sent with every response
 * but the page at /graphql. Scripts, styles, fonts, requests and frames come from this origin
 * only; Mantine writes `<style>` elements and style attributes at run time, hence
 * 'unsafe-inline' for styles (never for scripts). `packages/web/test/security-headers.e2e.test.ts`
 * loads every page of the built app under it and fails on any violation.
 */
export const DASHBOARD_CSP: Readonly<Record<string, string[]>> = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameSrc: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * What helmet sends (helmet 8's defaults otherwise): the CSP above, no framing
 * (`frame-ancestors 'none'` and `X-Frame-Options: DENY`), `Referrer-Policy: no-referrer` (links
 * carry one-time tokens in their paths), `X-Content-Type-Options: nosniff`. HSTS and
 * `upgrade-insecure-requests` only when PUBLIC_URL is https: over plain http they would lock
 * browsers out of a server that has no TLS.
 */
export function securityHeaders(publicUrl: string): HelmetOptions {
  const https = publicUrl.startsWith('https:');
  return {
    contentSecurityPolicy: { useDefaults: false, directives: withUpgrade(DASHBOARD_CSP, https) },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  };
}

/**
 * The headers of API answers (GraphQL's JSON, `/v1/*`, health and metrics), which are never
 * documents: the headers that protect a response that is not rendered (OWASP's REST Security
 * Cheat Sheet). A policy that allows nothing (`default-src 'none'`, `frame-ancestors 'none'`),
 * `X-Frame-Options: DENY`, nosniff, no referrer, `Cross-Origin-Resource-Policy: same-origin`
 * (another site cannot embed an answer as a script or an image), HSTS when https. The headers
 * that only act on a document a browser renders (the opener policy, the origin-keyed agent
 * cluster, DNS prefetching, IE's download and XSS filters, Adobe's cross-domain policies) are
 * left out: about 500 bytes on every answer, on the path every SDK and reporting tool takes.
 */
export function apiHeaders(publicUrl: string): HelmetOptions {
  const https = publicUrl.startsWith('https:');
  return {
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    dnsPrefetchControl: false,
    ieNoOpen: false,
    permittedCrossDomainPolicies: false,
    xssFilter: false,
  };
}

/** An API answer's policy: it loads nothing and may be framed by no one. */
export const API_CSP: Readonly<Record<string, string[]>> = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
};

/**
 * The headers of /graphql: the dashboard's, but Apollo Sandbox's policy (its CDN script and its
 * frame), the page's origin as referrer (no secret is ever in that URL) and popups it may open.
 */
export function landingPageHeaders(publicUrl: string): HelmetOptions {
  const https = publicUrl.startsWith('https:');
  return {
    contentSecurityPolicy: { useDefaults: false, directives: withUpgrade(LANDING_PAGE_CSP, https) },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'strict-origin' },
    hsts: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
  };
}

function withUpgrade(directives: Readonly<Record<string, string[]>>, https: boolean): Record<string, string[]> {
  return https ? { ...directives, upgradeInsecureRequests: [] } : { ...directives };
}

/**
 * The headers `options` make helmet send, worked out once. Every response gets the same ones
 * (the directives are constants), so running helmet per request — which is what
 * @fastify/helmet does, rebuilding its middleware and parsing the CSP each time, about half of
 * a small GraphQL request's cost here — buys nothing. helmet stays the source of the headers.
 */
export function helmetHeaders(options: HelmetOptions): OutgoingHttpHeaders {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  let failure: unknown;
  helmet(options)(request, response, (error?: unknown) => {
    failure = error;
  });
  if (failure !== undefined) throw failure;
  return response.getHeaders();
}

/**
 * The security headers of every response: the dashboard's, Apollo Sandbox's page's at /graphql,
 * and the API's.
 */
export interface SecurityHeaders {
  dashboard: OutgoingHttpHeaders;
  landingPage: OutgoingHttpHeaders;
  api: OutgoingHttpHeaders;
}

export function precomputeSecurityHeaders(publicUrl: string): SecurityHeaders {
  return {
    dashboard: helmetHeaders(securityHeaders(publicUrl)),
    landingPage: helmetHeaders(landingPageHeaders(publicUrl)),
    api: helmetHeaders(apiHeaders(publicUrl)),
  };
}
