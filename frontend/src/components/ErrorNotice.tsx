import { ApiError } from '../api/client';

/** A failed request, explained in the server's words. */
export function ErrorNotice({ error, what }: { error: unknown; what: string }) {
  const reason =
    error instanceof ApiError
      ? error.status === 0
        ? error.error
        : `${error.message} (HTTP ${error.status})`
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div className="notice notice-error" role="alert">
      <strong>Could not load {what}.</strong> {reason}
    </div>
  );
}
