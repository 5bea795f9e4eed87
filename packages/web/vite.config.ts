import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { Kind, parse } from 'graphql';
import { type Plugin, defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';

// Vite cannot read the CommonJS build of @tally/shared in dev mode, so the app uses its source
// (STACK.md, "Web"). tsconfig.json maps the same path for type checking.
const sharedSource = fileURLToPath(new URL('../shared/src/index.ts', import.meta.url));

/**
 * `graphql-operations.json` in the build: the names of the dashboard's own operations, from every
 * `.graphql` file under src/ (the documents codegen types). The server reads it from the folder
 * it serves (WEB_DIST_DIR) at start, so /metrics keeps a label for each of them however many names
 * other clients make up (packages/server/src/platform/metrics/dashboard-operations.ts).
 */
function dashboardOperationNames(): Plugin {
  const sourceDir = fileURLToPath(new URL('./src', import.meta.url));
  return {
    name: 'tally-dashboard-operation-names',
    apply: 'build',
    generateBundle() {
      const names = new Set<string>();
      for (const file of readdirSync(sourceDir, { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.graphql')) continue;
        for (const definition of parse(readFileSync(join(sourceDir, file), 'utf8')).definitions) {
          if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
        }
      }
      this.emitFile({ type: 'asset', fileName: 'graphql-operations.json', source: JSON.stringify([...names].sort()) });
    },
  };
}

/** Where `vite dev` and `vite preview` send /graphql; the API server listens on 4000 by default. */
const apiOrigin = process.env.TALLY_API_ORIGIN ?? 'http://localhost:4000';

export default defineConfig({
  plugins: [
    react(),
    dashboardOperationNames(),
    // Brotli and gzip copies of every text file next to it (index.html.br, …), written once at
    // build time; the server sends them to browsers that accept them (@fastify/static preCompressed).
    compression({
      algorithms: [defineAlgorithm('brotliCompress'), defineAlgorithm('gzip', { level: 9 })],
      include: /\.(js|css|html|svg|json|txt|map)$/,
      threshold: 1024,
    }),
  ],
  resolve: {
    alias: { '@tally/shared': sharedSource },
  },
  server: {
    port: 5173,
    // Same origin in dev too: the refresh-token cookie (path /graphql) and CSRF prevention
    // behave exactly as when the server serves the built app.
    proxy: {
      '/graphql': { target: apiOrigin, changeOrigin: false },
      '/v1': { target: apiOrigin, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/graphql': { target: apiOrigin, changeOrigin: false },
      '/v1': { target: apiOrigin, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // Libraries change less often than the app: separate files stay cached across releases.
        // A group is one file, preloaded as soon as one of its modules is: Mantine is split in two
        // so that only what the shell runs before any page is in the first load (bench row
        // "dashboard first load"), and the rest, whichever page uses it, is one file a page loads
        // beside its own. Left to the automatic split, Mantine and the icons made some thirty
        // files of a few hundred bytes for the Overview alone, each a request that waits its turn
        // on the wire (bench row "dashboard first view"). dayjs splits along the pages that use it.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'router', test: /node_modules[\\/](react-router)[\\/]/ },
            { name: 'apollo', test: /node_modules[\\/](@apollo|graphql|rxjs|@wry|optimism|tslib)[\\/]/ },
            // Mantine's modules that the shell runs before any page: one file, in the first load.
            { name: 'mantine-shell', test: /node_modules[\\/]@mantine[\\/]/, tags: ['$initial'], priority: 1 },
            // The rest of Mantine and the icons, whichever page uses them: one file a page loads
            // beside its own, rather than dozens of small shared ones (each a request on the wire).
            { name: 'mantine', test: /node_modules[\\/](@mantine[\\/](core|hooks)|@tabler[\\/]icons-react)[\\/]/ },
            // The charts (app/ui/charts) and their libraries (visx and the d3 modules it vendors):
            // one file, loaded with the first page that draws a chart.
            {
              name: 'charts',
              test: /node_modules[\\/](@visx[\\/]|d3-|internmap[\\/]|classnames[\\/])|src[\\/]app[\\/]ui[\\/]charts[\\/]/,
            },
          ],
        },
      },
    },
  },
});
