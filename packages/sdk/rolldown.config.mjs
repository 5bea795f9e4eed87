import { defineConfig } from 'rolldown';

/**
 * The SDK's builds (types come from tsc, see package.json): ESM and CommonJS of everything for
 * Node and bundlers, and one minified ESM file of the tracking half for browsers
 * (src/browser.ts), whose gzip size `pnpm bench sdk` reports (budget 5 KB). In that one
 * `__TALLY_BROWSER__` is defined, which leaves the Node exit hooks out. Nothing is external: the
 * SDK has no dependencies.
 */
export default defineConfig([
  {
    input: 'src/index.ts',
    platform: 'neutral',
    output: [
      { file: 'dist/index.mjs', format: 'esm' },
      { file: 'dist/index.cjs', format: 'cjs' },
    ],
  },
  {
    input: 'src/browser.ts',
    platform: 'browser',
    transform: { define: { __TALLY_BROWSER__: 'true' } },
    output: { file: 'dist/tally.browser.min.js', format: 'esm', minify: true },
  },
]);
