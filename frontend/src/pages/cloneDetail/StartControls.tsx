import { useAnalyzeCloneSession, useStartCloneSession } from '../../hooks/useCloneSessions';
import type { CloneSession } from '../../types/clone';

/**
 * A pending session not yet started: "Analyze" shows what fits (the controller's
 * verdict with its numbers), "Start" starts it once its plan checks out. A
 * shrink_source session's source agent waits for the start.
 */
export function StartControls({ session }: { session: CloneSession }) {
  const analyze = useAnalyzeCloneSession();
  const start = useStartCloneSession();
  if (session.status !== 'pending' || session.start_requested_at) return null;
  return (
    <>
      <button type="button" onClick={() => analyze.mutate(session.id)} disabled={analyze.isPending}>
        Analyze
      </button>
      <button type="button" onClick={() => start.mutate(session.id)} disabled={start.isPending}>
        Start
      </button>
      {analyze.data && <p role="status">{analyze.data.data.message}</p>}
      {(analyze.error ?? start.error) && <p role="alert">{(analyze.error ?? start.error)?.message}</p>}
    </>
  );
}
