import { useAnalyzeCloneSession, useClonePlan, useStartCloneSession } from '../../hooks/useCloneSessions';
import type { CloneSession } from '../../types/clone';

/**
 * A pending session not yet started: "Analyze" shows what fits (the controller's
 * verdict with its numbers), "Start" starts it once its plan checks out. A
 * shrink_source session's source agent waits for the start.
 */
export function StartControls({ session }: { session: CloneSession }) {
  const analyze = useAnalyzeCloneSession();
  const start = useStartCloneSession();
  // A refusal is about the plan as it was: once the plan changed (saved since), it no longer applies.
  const plan = useClonePlan(session.id);
  const startError = start.error && plan.dataUpdatedAt <= start.submittedAt ? start.error : null;
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
      {(analyze.error ?? startError) && <p role="alert">{(analyze.error ?? startError)?.message}</p>}
    </>
  );
}
