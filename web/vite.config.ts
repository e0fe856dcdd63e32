// Vite build (with the PWA manifest and service worker, and dist/persisted-operations.json: the
// dashboard's GraphQL operations for the hub's persisted-query allowlist), dev-server proxy to a
// local hub, and the Vitest (jsdom) configuration.
import react from '@vitejs/plugin-react';
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { defineConfig } from 'vitest/config';
import { persistedOperations } from './persisted.ts';

/** Writes dist/persisted-operations.json from codegen's src/gql/persisted-documents.json. */
function persistedOperationsFile(): Plugin {
  return {
    name: 'greenroom-persisted-operations',
    apply: 'build',
    generateBundle() {
      const codegen = JSON.parse(readFileSync(new URL('./src/gql/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
      this.emitFile({ type: 'asset', fileName: 'persisted-operations.json', source: `${JSON.stringify(persistedOperations(codegen), null, 2)}\n` });
    },
  };
}

/** The hub the dev server proxies to; override with GREENROOM_HUB=http://host:port npm run dev. */
const HUB = process.env.GREENROOM_HUB ?? 'http://127.0.0.1:8000';

const proxy = {
  '/api': { target: HUB, changeOrigin: false },
  // Also carries the graphql-ws WebSocket at /graphql/ws.
  '/graphql': { target: HUB, ws: true },
  '/healthz': { target: HUB },
};

export default defineConfig({
  plugins: [
    react(),
    persistedOperationsFile(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      includeAssets: ['favicon.svg', 'apple-touch-icon.png'],
      manifest: {
        name: 'Greenroom',
        short_name: 'Greenroom',
        description: 'Fleet operations dashboard: servers, actions, executions, audit.',
        theme_color: '#2b8a3e',
        background_color: '#ffffff',
        display: 'standalone',
        start_url: '/servers',
        scope: '/',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The app shell works offline; data never comes from the service worker's cache.
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/graphql/, /^\/healthz/, /^\/readyz/, /^\/metrics/, /^\/agent\//],
        globPatterns: ['**/*.{js,css,html,svg,png}'],
        // jsPDF and GraphiQL are large and rarely used: fetched on demand, not precached.
        globIgnores: ['**/GraphiQLPage-*', '**/pdf-*.js', '**/html2canvas-*.js', '**/purify.es-*.js', '**/index.es-*.js'],
        maximumFileSizeToCacheInBytes: 1_000_000,
      },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 4173, proxy },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    restoreMocks: true,
    // `npm test -- --coverage` (make test's web-test, make coverage): V8 line coverage of
    // src/, refused under the floor (raise it as coverage grows; the bar is 80).
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      exclude: ['src/gql/**', 'src/test/**', '**/*.test.*'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: '../target/coverage/web',
      thresholds: { lines: 83 },
    },
  },
});
