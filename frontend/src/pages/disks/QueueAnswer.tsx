/**
 * The controller's answer to a queued partition operation, as both disk forms show it: its
 * refusal with the reason it gave, or the number it queued the operation as.
 */
export function QueueAnswer({
  refusal,
  refusalId,
  queuedAs,
}: {
  refusal: string | undefined;
  /** Set when the form points at the refusal with `aria-describedby`. */
  refusalId?: string;
  queuedAs: number | null;
}) {
  return (
    <>
      {refusal && (
        <p id={refusalId} className="notice notice-error refusal" role="alert">
          <strong>Refused by the controller:</strong> {refusal}
        </p>
      )}
      {queuedAs !== null && (
        <p role="status" className="muted">
          Queued as operation #{queuedAs}. Nothing changes on the disk until you apply the queue.
        </p>
      )}
    </>
  );
}
