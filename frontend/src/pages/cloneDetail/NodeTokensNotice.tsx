import { useNavigate } from 'react-router-dom';
import type { ApiResponse } from '../../api/client';
import { CopyButton } from '../../components/CopyButton';
import type { AgentParameters, CloneSessionCreated, NodeTokens } from '../../types/clone';

/** Router state the new-clone form hands to the detail page, read once. */
export interface CreatedNavigationState {
  nodeTokens?: NodeTokens;
  agentParameters?: AgentParameters;
}

/** Opens a session just created, handing its page the tokens the create response alone carries. */
export function useOpenCreated() {
  const navigate = useNavigate();
  return (created: ApiResponse<CloneSessionCreated>) => {
    const state: CreatedNavigationState = {
      nodeTokens: created.data.node_tokens ?? undefined,
      agentParameters: created.data.agent_parameters ?? undefined,
    };
    navigate(`/clone/${created.data.id}`, { state });
  };
}

/**
 * The node tokens of a session just created. The controller returns them only
 * in the create response, so this is the one chance to copy them.
 */
export function NodeTokensNotice({
  tokens,
  parameters,
  onDismiss,
}: {
  tokens: NodeTokens;
  parameters?: AgentParameters;
  onDismiss: () => void;
}) {
  return (
    <aside className="notice notice-warning" aria-labelledby="node-tokens-title">
      <h2 id="node-tokens-title">Node tokens — copy them now</h2>
      <p>The source and target nodes authenticate their callbacks with these. They are not shown again.</p>
      <dl className="token-list">
        <dt>Source</dt>
        <dd>
          <code>{tokens.source}</code> <CopyButton text={tokens.source} label="Copy the source token" />
        </dd>
        {tokens.target && (
          <>
            <dt>Target</dt>
            <dd>
              <code>{tokens.target}</code> <CopyButton text={tokens.target} label="Copy the target token" />
            </dd>
          </>
        )}
      </dl>
      {parameters && (
        <>
          <h3>Kernel parameters for each node's agent</h3>
          <dl className="token-list">
            <dt>Source</dt>
            <dd>
              <code>{parameters.source}</code>{' '}
              <CopyButton text={parameters.source} label="Copy the source agent's kernel parameters" />
            </dd>
            <dt>Target</dt>
            <dd>
              <code>{parameters.target}</code>{' '}
              <CopyButton text={parameters.target} label="Copy the target agent's kernel parameters" />
            </dd>
          </dl>
        </>
      )}
      <button type="button" onClick={onDismiss}>
        Dismiss
      </button>
    </aside>
  );
}
