import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';

const SANDBOX_CDN = 'https://embeddable-sandbox.cdn.apollographql.com';
/** The frame Apollo's script opens: the Sandbox itself. */
const SANDBOX_FRAME = 'https://sandbox.embed.apollographql.com';
/** Apollo's embeddable Sandbox, from its CDN (the only thing here that needs the internet). */
const SANDBOX_SCRIPT = `${SANDBOX_CDN}/_latest/embeddable-sandbox.umd.production.min.js`;

/**
 * The page's one inline script: it loads Apollo's script itself (no inline event handler
 * attribute, which a CSP would have to allow with 'unsafe-hashes'), starts the Sandbox when it
 * loads, and explains itself when it cannot be loaded. Constant, so its hash goes in the CSP.
 */
const LOADER = `
  function tallyOffline() {
    clearTimeout(tallyTimer);
    var sandbox = document.getElementById('sandbox');
    if (sandbox) sandbox.remove();
    document.getElementById('origin').textContent = location.origin;
    document.getElementById('offline').hidden = false;
  }
  var tallyTimer = setTimeout(tallyOffline, 10000);
  var tallyScript = document.createElement('script');
  tallyScript.src = ${JSON.stringify(SANDBOX_SCRIPT)};
  tallyScript.onerror = tallyOffline;
  tallyScript.onload = function () {
    if (!window.EmbeddedSandbox || !document.getElementById('sandbox')) return tallyOffline();
    clearTimeout(tallyTimer);
    new window.EmbeddedSandbox({
      target: '#sandbox',
      initialEndpoint: location.origin + location.pathname,
      initialState: { includeCookies: false },
      hideCookieToggle: false,
      endpointIsEditable: false,
      runTelemetry: false,
    });
  };
  document.head.appendChild(tallyScript);
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The Content-Security-Policy of the page at /graphql (helmet's directive names): the inline
 * loader by its hash, Apollo's script from its CDN, the Sandbox frame, and requests to this
 * origin only (the Sandbox runs operations through the page, against /graphql here). The
 * dashboard's policy, everywhere else, allows none of Apollo's origins.
 */
export const LANDING_PAGE_CSP: Readonly<Record<string, string[]>> = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'", sha256(LOADER), SANDBOX_CDN],
  scriptSrcAttr: ["'none'"],
  // The page's own <style> block; Apollo's script sizes its frame with inline styles.
  styleSrc: ["'self'", "'unsafe-inline'"],
  frameSrc: [SANDBOX_FRAME],
  connectSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * `/graphql` in a browser: Apollo Sandbox, whose script comes from Apollo's CDN. Offline (or
 * when the CDN is blocked) the page says so plainly instead of showing an empty frame, and
 * points at the schema and at plain HTTP clients. `schemaUrl` is offered where the schema may
 * be read without a credential (development); otherwise the page names the file in the checkout.
 */
export function landingPagePlugin(options: { schemaUrl: string | null }): ApolloServerPlugin {
  const schemaHint = options.schemaUrl
    ? `Read the schema at <a href="${options.schemaUrl}">${options.schemaUrl}</a>, or`
    : 'The schema is in <code>packages/server/schema.graphql</code> of your Tally checkout; or';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphQL · Tally</title>
<style>
  html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; color: #1a1b1e; }
  #sandbox { position: absolute; inset: 0; }
  #sandbox iframe { width: 100%; height: 100%; border: 0; }
  main { max-width: 42rem; margin: 4rem auto; padding: 0 1.5rem; line-height: 1.5; }
  code { background: #f1f3f5; padding: 0 .25em; border-radius: 3px; }
  a { color: #1864ab; }
</style>
</head>
<body>
<div id="sandbox"></div>
<main id="offline" hidden>
  <h1>Apollo Sandbox could not be loaded</h1>
  <p>This page embeds Apollo Sandbox, which is loaded from Apollo's servers on the public internet
  (<code>embeddable-sandbox.cdn.apollographql.com</code>). This browser could not reach them:
  it may be offline, or a firewall or content blocker stops it.</p>
  <p>The API itself works without it. ${schemaHint} send queries with any GraphQL client or
  with curl: <code>POST <span id="origin"></span>/graphql</code> with
  <code>content-type: application/json</code> and an <code>authorization: Bearer …</code> header
  (see the README's API section).</p>
</main>
<script>${LOADER}</script>
</body>
</html>
`;
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}
