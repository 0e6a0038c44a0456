/**
 * Places a failed request's explanation next to the form field it is about.
 *
 * Validation errors (422) list their fields. Other errors, such as
 * 404 "Target node not found", only carry prose; those are matched to a field
 * by keyword. Whatever cannot be placed goes to the form as a whole.
 */
import { ApiError } from '../api/client';

export const FORM_ERROR = '_form';

export type FieldErrors = Record<string, string>;

/** field name → words in a message that point at it */
export type FieldKeywords = Record<string, string[]>;

export function fieldErrorsFrom(error: unknown, keywords: FieldKeywords): FieldErrors {
  if (!(error instanceof ApiError)) {
    return { [FORM_ERROR]: error instanceof Error ? error.message : 'Something went wrong' };
  }

  const errors: FieldErrors = {};
  for (const { field, message } of error.fields) {
    const name = field in keywords ? field : matchField(field, keywords);
    if (name) errors[name] = errors[name] ? `${errors[name]}; ${message}` : message;
    else errors[FORM_ERROR] = appendLine(errors[FORM_ERROR], `${field}: ${message}`);
  }
  if (error.fields.length > 0) return errors;

  const prose = error.detail ?? error.error;
  const name = matchField(prose, keywords);
  return name ? { [name]: prose } : { [FORM_ERROR]: error.message };
}

/** The field whose name or keyword appears as a whole word in `text`, preferring the longest. */
function matchField(text: string, keywords: FieldKeywords): string | null {
  const haystack = text.toLowerCase();
  let best: { field: string; length: number } | null = null;
  for (const [field, words] of Object.entries(keywords)) {
    for (const word of [field, ...words]) {
      const needle = word.toLowerCase();
      if (containsWord(haystack, needle) && (!best || needle.length > best.length)) {
        best = { field, length: needle.length };
      }
    }
  }
  return best?.field ?? null;
}

/** "name" is in "invalid name" but not in "hostname". */
function containsWord(haystack: string, needle: string): boolean {
  const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^a-z0-9_])${escaped}($|[^a-z0-9_])`).test(haystack);
}

function appendLine(existing: string | undefined, line: string): string {
  return existing ? `${existing}\n${line}` : line;
}

/** The server's own words for why a request was refused (its `detail`), else the error's message. */
export function refusalReason(error: unknown): string {
  if (error instanceof ApiError) return error.detail || error.message;
  return error instanceof Error ? error.message : String(error);
}
