// What the contract tests share: the generated client (openapi-fetch over the
// `paths` of src/api/schema.d.ts) pointed at PUREBOOT_URL, and the checks of
// an answer's status and envelope.
import createClient from 'openapi-fetch';
import { expect } from 'vitest';
import type { components, paths } from '../src/api/schema';

export type Schemas = components['schemas'];
export type ErrorResponse = Schemas['ErrorResponse'];

const BASE_URL = (process.env.PUREBOOT_URL ?? '').replace(/\/+$/, '');
export const ADMIN_TOKEN = process.env.PUREBOOT_TOKEN ?? '';
if (!BASE_URL) {
  throw new Error('PUREBOOT_URL is not set: point it at a running controller, e.g. http://127.0.0.1:18080');
}

export const client = createClient<paths>({
  baseUrl: BASE_URL,
  headers: ADMIN_TOKEN ? { Authorization: `Bearer ${ADMIN_TOKEN}` } : {},
});

/** The success body of an openapi-fetch result, or a failure that shows the status and error body. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (!result.response.ok || result.data === undefined) {
    throw new Error(`${what} → HTTP ${result.response.status}: ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

/** The error body of a result that must have failed with `status`. */
export function failed(result: { data?: unknown; error?: ErrorResponse; response: Response }, status: number): ErrorResponse {
  expect(result.response.status).toBe(status);
  expect(result.error).toBeDefined();
  return result.error!;
}

/** A locally administered MAC address, unlikely to clash with an earlier run. */
export function randomMac(): string {
  const bytes = Array.from({ length: 4 }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0'));
  return ['02', '00', ...bytes].join(':');
}
