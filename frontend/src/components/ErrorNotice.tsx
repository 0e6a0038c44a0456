import { ApiError } from '../api/client';

/** A failed request, explained in the server's words, with a way to try again when one is given. */
export function ErrorNotice({ error, what, onRetry }: { error: unknown; what: string; onRetry?: () => void }) {
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
      {onRetry && (
        <>
          {' '}
          <button type="button" className="retry" onClick={onRetry}>
            Retry
          </button>
        </>
      )}
    </div>
  );
}
