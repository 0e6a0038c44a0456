import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useDeleteCloneSession } from '../../hooks/useCloneSessions';
import type { CloneSession } from '../../types/clone';
import { sessionTitle } from '../clones/sessionText';
import { StartControls } from './StartControls';

/**
 * Cancel while cloning, delete otherwise. Both are DELETE on the session: the
 * controller cancels a running clone instead of deleting it.
 */
export function CloneActions({ session }: { session: CloneSession }) {
  const navigate = useNavigate();
  const remove = useDeleteCloneSession();
  const [asking, setAsking] = useState(false);
  const cancelling = session.status === 'cloning';

  async function confirm() {
    try {
      const { data } = await remove.mutateAsync(session.id);
      setAsking(false);
      // The server decides: a session that finished meanwhile is deleted, not cancelled.
      const deleted = data.outcome ? data.outcome === 'deleted' : !cancelling;
      if (deleted) navigate('/clone', { replace: true });
    } catch {
      // shown in the dialog from remove.error
    }
  }

  return (
    <>
      <StartControls session={session} />
      <button
        type="button"
        className="danger"
        onClick={() => {
          remove.reset();
          setAsking(true);
        }}
      >
        {cancelling ? 'Cancel clone' : 'Delete'}
      </button>
      <ConfirmDialog
        open={asking}
        title={cancelling ? 'Cancel this clone?' : 'Delete this clone session?'}
        confirmLabel={cancelling ? 'Cancel clone' : 'Delete session'}
        busy={remove.isPending}
        error={remove.error?.message}
        onConfirm={confirm}
        onCancel={() => setAsking(false)}
      >
        {cancelling ? (
          <p>
            The transfer of <strong>{sessionTitle(session)}</strong> stops and the target disk is left incomplete.
          </p>
        ) : (
          <p>
            <strong>{sessionTitle(session)}</strong> and its record are removed. Disks are not touched.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
