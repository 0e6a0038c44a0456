import { Link } from 'react-router-dom';
import { RelativeTime } from '../../components/RelativeTime';
import { StatusBadge } from '../../components/StatusBadge';
import { useStalls } from '../../hooks/useStalls';
import type { CloneSession } from '../../types/clone';
import { CloneProgressCell } from './CloneProgressCell';
import { sessionTitle, sourceName, targetName } from './sessionText';
import { TableHead } from '../../components/TableHead';

/** Clone sessions as a table; on a phone each row becomes a card (styles.css). */
export function CloneTable({ sessions }: { sessions: CloneSession[] }) {
  const stalls = useStalls(sessions);
  return (
    <div className="table-scroll" role="region" aria-label="Clone sessions" tabIndex={0}>
      <table className="cards-on-phone">
        <TableHead columns={['Name', 'Mode', 'Source → target', 'Status', 'Progress', 'Created', 'Started']} />
        <tbody>
          {sessions.map((session) => (
            <tr key={session.id} data-session-id={session.id} data-stalled={stalls.get(session.id)?.stalled ? 'true' : undefined}>
              <td data-label="Name">
                <Link to={`/clone/${session.id}`}>{sessionTitle(session)}</Link>
              </td>
              <td data-label="Mode">{session.clone_mode}</td>
              <td data-label="Source → target">
                <span className="nowrap">
                  {sourceName(session)} <code>{session.source_device}</code>
                </span>{' '}
                →{' '}
                <span className="nowrap">
                  {targetName(session)}
                  {session.clone_mode === 'direct' && <> <code>{session.target_device}</code></>}
                </span>
              </td>
              <td data-label="Status">
                <StatusBadge status={session.status} />
              </td>
              <td data-label="Progress">
                <CloneProgressCell session={session} stall={stalls.get(session.id)} />
              </td>
              <td data-label="Created">
                <RelativeTime value={session.created_at} />
              </td>
              <td data-label="Started">
                <RelativeTime value={session.started_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
