import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Vite cannot read the CommonJS build of @tally/shared in dev mode, so the app uses its source
// (STACK.md, "Web"). tsconfig.json maps the same path for type checking.
const sharedSource = fileURLToPath(new URL('../shared/src/index.ts', import.meta.url));

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { '@tally/shared': sharedSource },
  },
  server: {
    port: 5173,
    // Same origin in dev too: the refresh-token cookie (path /graphql) and CSRF prevention
    // behave exactly as when the server serves the built app.
    proxy: {
      '/graphql': { target: 'http://localhost:4000', changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/graphql': { target: 'http://localhost:4000', changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
});
