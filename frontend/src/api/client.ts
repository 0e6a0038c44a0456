/**
 * The one way the UI talks to the controller: JSON over fetch under /api/v1,
 * with the session's bearer token, and every failure turned into an ApiError.
 */
import { getToken, reportUnauthorized } from '../auth/session';
import type { ErrorBody, FieldError } from '../types/api';

export const API_BASE = '/api/v1';

/** Envelope of a single resource. */
export interface ApiResponse<T> {
  success: boolean;
  data: T;
  message?: string | null;
}

/** Envelope of a page of resources; `total` counts all matches, not the page. */
export interface ApiListResponse<T> {
  success: boolean;
  data: T[];
  total: number;
}

export type { FieldError } from '../types/api';

/** A non-2xx answer (or no answer: status 0) with the server's explanation. */
export class ApiError extends Error {
  readonly status: number;
  readonly error: string;
  readonly detail: string | null;
  readonly fields: FieldError[];

  /** `body` is partial: a proxy or a crash may answer with anything. */
  constructor(status: number, body: Partial<ErrorBody>, fallback: string) {
    const error = body.error || fallback;
    const detail = body.detail ?? null;
    super(detail ? `${error}: ${detail}` : error);
    this.name = 'ApiError';
    this.status = status;
    this.error = error;
    this.detail = detail;
    this.fields = Array.isArray(body.fields) ? body.fields : [];
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, {}, 'The controller could not be reached');
  }

  const payload = await readJson(response);
  if (response.ok) return payload as T;

  if (response.status === 401) reportUnauthorized(token);
  throw new ApiError(
    response.status,
    (payload ?? {}) as Partial<ErrorBody>,
    response.statusText || `HTTP ${response.status}`,
  );
}

/** Error bodies are JSON by contract, but a proxy may answer with HTML. */
async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * A non-JSON download (e.g. a CSV report) with the session's token, as a Blob.
 * A link cannot carry the bearer token, so downloads go through fetch.
 */
export async function downloadBlob(path: string): Promise<Blob> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, { headers });
  } catch {
    throw new ApiError(0, {}, 'The controller could not be reached');
  }
  if (response.ok) return response.blob();
  if (response.status === 401) reportUnauthorized(token);
  const payload = await readJson(response);
  throw new ApiError(response.status, (payload ?? {}) as Partial<ErrorBody>, `HTTP ${response.status}`);
}

export const apiClient = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** `?a=1&b=2` from the defined entries, or '' when there are none. */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
