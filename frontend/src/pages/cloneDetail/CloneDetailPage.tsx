import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { isNotFound } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { StatusBadge } from '../../components/StatusBadge';
import { useCloneSession } from '../../hooks/useCloneSessions';
import { sessionTitle } from '../clones/sessionText';
import { CloneActions } from './CloneActions';
import { CloneFacts } from './CloneFacts';
import { CloneTimeline } from './CloneTimeline';
import { CloneTransfer } from './CloneTransfer';
import { NodeTokensNotice, type CreatedNavigationState } from './NodeTokensNotice';

/** One clone session, kept live by the event stream (no polling). */
export function CloneDetailPage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const query = useCloneSession(id);
  const created = location.state as CreatedNavigationState | null;

  if (query.isPending) return <p role="status">Loading clone session…</p>;
  if (query.isError) {
    if (isNotFound(query.error)) {
      return (
        <section>
          <h1>Clone session not found</h1>
          <p>
            It may have been deleted. Back to the <Link to="/clone">clone sessions</Link>.
          </p>
        </section>
      );
    }
    return <ErrorNotice error={query.error} what="the clone session" />;
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
        </div>
        <CloneTimeline sessionId={session.id} />
      </div>
    </section>
  );
}
