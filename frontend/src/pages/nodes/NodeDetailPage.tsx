import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router-dom';
import { auditApi } from '../../api/audit';
import { isNotFound } from '../../api/client';
import { Bytes } from '../../components/Bytes';
import { ErrorNotice } from '../../components/ErrorNotice';
import { RelativeTime } from '../../components/RelativeTime';
import { StatusBadge } from '../../components/StatusBadge';
import { useCloneSessions } from '../../hooks/useCloneSessions';
import { useNodeDisks } from '../../hooks/useDisks';
import { useNode } from '../../hooks/useNodes';
import { usePageTitle } from '../../hooks/usePageTitle';
import { formatDateTime, NONE } from '../../lib/format';
import { sessionsOfNode } from '../../lib/nodeActivity';
import { auditKeys } from '../../state/queryKeys';
import { sessionTitle } from '../clones/sessionText';

/** The node's newest sessions shown (the API filters them by node). */
const RECENT_SESSIONS = 50;
const RECENT_EVENTS_DAYS = 30;

/** One node: its facts, disks, the sessions it took part in, and its recent events. */
export function NodeDetailPage() {
  const { id = '' } = useParams();
  const node = useNode(id);
  const disks = useNodeDisks(id);
  const sessions = useCloneSessions({ node_id: id, limit: RECENT_SESSIONS, offset: 0 });
  const eventsQuery = {
    stream: `node:${id}`,
    from: new Date(Date.now() - RECENT_EVENTS_DAYS * 86_400_000).toISOString().slice(0, 13) + ':00:00Z',
    order: 'desc' as const,
    limit: 20,
  };
  const events = useQuery({ queryKey: auditKeys.events(eventsQuery), queryFn: () => auditApi.events(eventsQuery) });
  const hostname = node.data?.data.hostname ?? id;
  usePageTitle(`Node ${hostname}`);

  if (node.isPending) return <p role="status">Loading node…</p>;
  if (node.isError) {
    return isNotFound(node.error) ? (
      <section>
        <h1>Node not found</h1>
        <p>
          Back to the <Link to="/nodes">nodes</Link>.
        </p>
      </section>
    ) : (
      <ErrorNotice error={node.error} what="the node" onRetry={() => void node.refetch()} />
    );
  }
  const n = node.data.data;
  const roles = sessionsOfNode(sessions.data?.data ?? [], id);
  const recent = events.data?.data ?? [];

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/nodes">Nodes</Link> /
      </p>
      <h1>{hostname}</h1>
      <div className="detail-grid">
        <div className="stack">
          <section className="card" aria-labelledby="node-facts">
            <h2 id="node-facts">Details</h2>
            <dl className="facts">
              <dt>MAC address</dt>
              <dd>
                <code>{n.mac_address}</code>
              </dd>
              <dt>IP address</dt>
              <dd>{n.ip_address ? <code>{n.ip_address}</code> : NONE}</dd>
              <dt>Architecture</dt>
              <dd>{n.arch}</dd>
              <dt>State</dt>
              <dd>{n.state}</dd>
              <dt>Registered</dt>
              <dd>
                <RelativeTime value={n.created_at} />
              </dd>
              <dt>Last change</dt>
              <dd>
                <RelativeTime value={n.updated_at} />
              </dd>
            </dl>
          </section>
          <section className="card" aria-labelledby="node-disks">
            <h2 id="node-disks">Disks</h2>
            {(disks.data?.data ?? []).length === 0 ? (
              <p className="muted">No disks reported yet.</p>
            ) : (
              <ul>
                {disks.data?.data.map((disk) => (
                  <li key={disk.device}>
                    <code>{disk.device}</code> — <Bytes value={disk.size_bytes} /> {disk.model ?? ''}
                  </li>
                ))}
              </ul>
            )}
            <Link to={`/nodes/${id}/disks`}>Disks and partition operations</Link>
          </section>
        </div>
        <div className="stack">
          <section className="card" aria-labelledby="node-sessions">
            <h2 id="node-sessions">Clone sessions</h2>
            {roles.length === 0 ? (
              <p className="muted">No clone sessions yet.</p>
            ) : (
              <ul className="plain-list" data-testid="node-sessions">
                {roles.map(({ session, role }) => (
                  <li key={session.id} data-session-id={session.id}>
                    <span className="muted">{role === 'source' ? 'Source of' : 'Target of'}</span>{' '}
                    <Link to={`/clone/${session.id}`}>{sessionTitle(session)}</Link> <StatusBadge status={session.status} />{' '}
                    <RelativeTime value={session.created_at} />
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="card" aria-labelledby="node-events">
            <h2 id="node-events">Recent events</h2>
            {events.isError && <ErrorNotice error={events.error} what="the node's events" onRetry={() => void events.refetch()} />}
            {events.isSuccess && recent.length === 0 && <p className="muted">No events in the last {RECENT_EVENTS_DAYS} days.</p>}
            {recent.length > 0 && (
              <ul className="plain-list" data-testid="node-events">
                {recent.map((entry) => (
                  <li key={entry.position}>
                    <time dateTime={entry.recorded_at}>{formatDateTime(entry.recorded_at)}</time> <code>{entry.event_type}</code>
                    {entry.actor && <span className="muted"> by {entry.actor}</span>}
                  </li>
                ))}
              </ul>
            )}
            <Link to={`/audit?node=${id}`}>All events of this node</Link>
          </section>
        </div>
      </div>
    </section>
  );
}
