// Vite build, dev-server proxy to a local hub, and the Vitest (jsdom) configuration.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/** The hub the dev server proxies to; override with GREENROOM_HUB=http://host:port npm run dev. */
const HUB = process.env.GREENROOM_HUB ?? 'http://127.0.0.1:8000';

const proxy = {
  '/api': { target: HUB, changeOrigin: false },
  // Also carries the graphql-ws WebSocket at /graphql/ws.
  '/graphql': { target: HUB, ws: true },
  '/healthz': { target: HUB },
};

export default defineConfig({
  plugins: [react()],
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
  },
});
