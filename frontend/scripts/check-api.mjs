#!/usr/bin/env node
// Fails when src/api/schema.d.ts is not what openapi-typescript makes of the
// committed OpenAPI document, i.e. when the backend's API changed and the UI's
// types were not regenerated (`npm run gen:api`).
//
// Usage: node scripts/check-api.mjs [openapi.json] [schema.d.ts]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const spec = resolve(process.argv[2] ?? join(root, '..', 'openapi', 'openapi.json'));
const committed = resolve(process.argv[3] ?? join(root, 'src', 'api', 'schema.d.ts'));
const generator = join(root, 'node_modules', '.bin', 'openapi-typescript');

if (!existsSync(spec)) {
  console.error(`check:api: ${spec} does not exist; the backend writes it (see openapi/).`);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'check-api-'));
try {
  const fresh = join(scratch, 'schema.d.ts');
  execFileSync(generator, [spec, '-o', fresh], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (readFileSync(fresh, 'utf8') !== readFileSync(committed, 'utf8')) {
    console.error(`check:api: ${committed} is stale; run \`npm run gen:api\` and commit the result.`);
    try {
      execFileSync('diff', ['-u', committed, fresh], { stdio: 'inherit' });
    } catch {
      // diff exits 1 when files differ; its output is the point
    }
    process.exit(1);
  }
  console.log('check:api: src/api/schema.d.ts matches the OpenAPI document.');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
