import { useCreateCloneSession } from '../../hooks/useCloneSessions';
import type { CloneSession, CloneSessionCreate } from '../../types/clone';
import { useOpenCreated } from './NodeTokensNotice';

/** The create request that repeats `session`: same nodes, devices, mode, backend and resize. */
export function retryRequest(session: CloneSession): CloneSessionCreate {
  return {
    name: session.name ? `${session.name} (retry)`.slice(0, 255) : null,
    clone_mode: session.clone_mode,
    source_node_id: session.source_node_id,
    target_node_id: session.target_node_id ?? null,
    source_device: session.source_device,
    target_device: session.target_device,
    staging_backend_id: session.staging_backend_id ?? null,
    resize_mode: session.resize_mode,
  };
}

/** "Retry" on a failed or cancelled session: a new session with the same parameters, opened with its tokens. */
export function RetryButton({ session }: { session: CloneSession }) {
  const openCreated = useOpenCreated();
  const create = useCreateCloneSession();
  async function retry() {
    try {
      openCreated(await create.mutateAsync(retryRequest(session)));
    } catch {
      // shown below from create.error
    }
  }
  return (
    <>
      <button type="button" className="primary" onClick={() => void retry()} disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Retry'}
      </button>
      {create.error && (
        <p className="notice notice-error" role="alert">
          Could not retry: {create.error.message}
        </p>
      )}
    </>
  );
}
