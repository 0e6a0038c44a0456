import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The controller serves dist/ at `/` and the API under /api on the same
// origin; in development the dev server forwards /api (and the WebSocket).
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true, changeOrigin: true },
    },
  },
  build: { outDir: 'dist' },
  test: { environment: 'node', include: ['src/**/*.test.ts'] },
});
