import { useNavigate } from 'react-router-dom';
import { useCreateCloneSession } from '../../hooks/useCloneSessions';
import type { CloneSession, CloneSessionCreate } from '../../types/clone';
import type { CreatedNavigationState } from './NodeTokensNotice';

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
  const navigate = useNavigate();
  const create = useCreateCloneSession();
  async function retry() {
    try {
      const created = await create.mutateAsync(retryRequest(session));
      const state: CreatedNavigationState = {
        nodeTokens: created.data.node_tokens ?? undefined,
        agentParameters: created.data.agent_parameters ?? undefined,
      };
      navigate(`/clone/${created.data.id}`, { state });
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
