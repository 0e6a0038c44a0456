#!/usr/bin/env node
// Generates src/api/schema.d.ts from the controller's OpenAPI document with
// openapi-typescript, or with --check fails when the file is not what this
// would write (the backend's API changed and `npm run gen:api` was not run).
//
// Usage: node scripts/gen-api.mjs [--check] [openapi.json] [schema.d.ts]
//
// Options, and why:
// - defaultNonNullable: false. A property with a `default` is one the client
//   may leave out (source_device, port); openapi-typescript would otherwise
//   type it as required, also in request bodies.
// - emptyObjectsUnknown: true. `{"type": "object"}` (a backend's `config`, an
//   event's `payload`) is any object, not `Record<string, never>`.
//
// One repair, announced on stderr when it applies: operationIds must be unique
// (OpenAPI 3.1, §4.8.10). openapi-typescript keys the `operations` interface
// by operationId, so duplicates collide there: TypeScript keeps the first
// declaration, and e.g. POST /api/v1/nodes would be typed with the clone
// session body (silently, since skipLibCheck skips .d.ts files). Duplicates
// are therefore renamed `<tag>_<operationId>` before generating. This is a
// no-op once the backend gives each operation its own id.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const [specArg, outArg] = args.filter((arg) => arg !== '--check');
const spec = resolve(specArg ?? join(root, '..', 'openapi', 'openapi.json'));
const output = resolve(outArg ?? join(root, 'src', 'api', 'schema.d.ts'));
const name = check ? 'check:api' : 'gen:api';

if (!existsSync(spec)) {
  console.error(`${name}: ${spec} does not exist; the backend writes it (see openapi/).`);
  process.exit(1);
}

let document;
try {
  document = JSON.parse(readFileSync(spec, 'utf8'));
} catch (error) {
  console.error(`${name}: ${spec} is not valid JSON: ${error.message}`);
  process.exit(1);
}
uniqueOperationIds(document);

const generated =
  COMMENT_HEADER +
  astToString(
    await openapiTS(document, {
      defaultNonNullable: false,
      emptyObjectsUnknown: true,
      silent: true,
    }),
  );

const shown = relative(process.cwd(), output) || output;
if (check) {
  const current = existsSync(output) ? readFileSync(output, 'utf8') : '';
  if (current !== generated) {
    console.error(`check:api: ${shown} is stale; run \`npm run gen:api\` and commit the result.`);
    printDiff(generated);
    process.exit(1);
  }
  console.log(`check:api: ${shown} matches ${relative(process.cwd(), spec)}.`);
} else {
  writeFileSync(output, generated);
  console.log(`gen:api: ${relative(process.cwd(), spec)} → ${shown}`);
}

/** Renames duplicated operationIds to `<tag>_<id>` (then `<method>_<path>` if still taken). */
function uniqueOperationIds(doc) {
  const operations = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']) {
      const operation = item?.[method];
      if (operation?.operationId) operations.push({ path, method, operation });
    }
  }
  const count = new Map();
  for (const { operation } of operations) count.set(operation.operationId, (count.get(operation.operationId) ?? 0) + 1);
  const taken = new Set(operations.map(({ operation }) => operation.operationId).filter((id) => count.get(id) === 1));
  const snake = (text) => text.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').toLowerCase();

  const renamed = [];
  for (const { path, method, operation } of operations) {
    const id = operation.operationId;
    if (count.get(id) === 1) continue;
    let fresh = `${snake(operation.tags?.[0] ?? '')}_${id}`.replace(/^_/, '');
    if (taken.has(fresh)) fresh = `${method}_${snake(path)}`;
    taken.add(fresh);
    operation.operationId = fresh;
    renamed.push(fresh);
  }
  if (renamed.length) {
    const repeated = [...count].filter(([, n]) => n > 1).map(([id]) => id);
    console.error(
      `${name}: warning: operationIds ${repeated.join(', ')} are each used by several operations, which OpenAPI ` +
        `forbids; generated as ${renamed.join(', ')}.`,
    );
  }
}

function printDiff(fresh) {
  const scratch = mkdtempSync(join(tmpdir(), 'check-api-'));
  try {
    writeFileSync(join(scratch, 'fresh.d.ts'), fresh);
    execFileSync('diff', ['-u', existsSync(output) ? output : '/dev/null', join(scratch, 'fresh.d.ts')], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch {
    // diff exits 1 when the files differ; its output is the point
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
