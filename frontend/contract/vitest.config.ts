import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The contract suite runs against a live controller (PUREBOOT_URL), so it is
// kept out of `npm test` (which includes only src/**/*.test.ts) and run by
// `npm run contract`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    environment: 'node',
    include: ['**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
