import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { usePageTitle } from '../../hooks/usePageTitle';
import { isNotFound } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { useCloneHistory, useCloneSession } from '../../hooks/useCloneSessions';
import { sessionTitle } from '../clones/sessionText';
import { CloneActions } from './CloneActions';
import { RetryButton } from './RetryButton';
import { CloneFacts } from './CloneFacts';
import { CloneTimeline } from './CloneTimeline';
import { CloneTransfer } from './CloneTransfer';
import { PlanEditor } from './PlanEditor';
import { NodeTokensNotice, type CreatedNavigationState } from './NodeTokensNotice';

/** One clone session, kept live by the event stream (no polling). */
export function CloneDetailPage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const query = useCloneSession(id);
  const created = location.state as CreatedNavigationState | null;
  usePageTitle(query.data ? sessionTitle(query.data.data) : 'Clone session');

  if (query.isPending) return <p role="status">Loading clone session…</p>;
  if (query.isError) {
    if (isNotFound(query.error)) return <DeletedSession sessionId={id} />;
    return <ErrorNotice error={query.error} what="the clone session" onRetry={() => void query.refetch()} />;
  }

  const session = query.data.data;
  return (
    <section>
      <p className="breadcrumb">
        <Link to="/clone">Clone sessions</Link> /
      </p>
      <div className="page-heading">
        <h1>{sessionTitle(session)}</h1>
        <StatusBadge status={session.status} />
        <div className="spacer" />
        {(session.status === 'failed' || session.status === 'cancelled') && <RetryButton session={session} />}
        <CloneActions session={session} />
      </div>

      {created?.nodeTokens && (
        <NodeTokensNotice
          tokens={created.nodeTokens}
          parameters={created.agentParameters}
          onDismiss={() => navigate(location.pathname, { replace: true, state: null })}
        />
      )}
      {session.error_message && (
        <p className="notice notice-error" role="alert">
          <strong>Clone failed:</strong> {session.error_message}
        </p>
      )}

      <div className="detail-grid">
        <div className="stack">
          <CloneTransfer session={session} />
          <CloneFacts session={session} />
          <PlanEditor session={session} />
        </div>
        <CloneTimeline sessionId={session.id} />
      </div>
    </section>
  );
}

/**
 * A session the API no longer serves: deleted sessions keep their history in the event log,
 * so their timeline is still shown; an id that never existed is "not found".
 */
function DeletedSession({ sessionId }: { sessionId: string }) {
  const history = useCloneHistory(sessionId);
  const known = history.isSuccess && history.data.data.length > 0;
  if (history.isPending) return <p role="status">Loading clone session…</p>;
  return (
    <section>
      <p className="breadcrumb">
        <Link to="/clone">Clone sessions</Link> /
      </p>
      <h1>{known ? 'Deleted clone session' : 'Clone session not found'}</h1>
      {known ? (
        <>
          <p className="notice" role="status">
            This session was deleted; its recorded history is kept.
          </p>
          <CloneTimeline sessionId={sessionId} />
        </>
      ) : (
        <p>
          It may have been deleted. Back to the <Link to="/clone">clone sessions</Link>.
        </p>
      )}
    </section>
  );
}
