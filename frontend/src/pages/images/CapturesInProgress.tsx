import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { cloneApi } from '../../api/clone';
import { capturesInProgress } from '../../lib/images';
import { cloneSessionKeys } from '../../state/queryKeys';
import { sessionTitle } from '../clones/sessionText';

/** How many of the newest sessions are looked through for captures: a lab has few at once. */
const LOOKED_AT = 100;

/**
 * Staged sessions still capturing their image, with their staging status
 * (pending → provisioned → uploading); each becomes an image at `ready`. The
 * session list's cache key, so clone events keep it current.
 */
export function CapturesInProgress() {
  const request = { limit: LOOKED_AT };
  const sessions = useQuery({ queryKey: cloneSessionKeys.list(request), queryFn: () => cloneApi.list(request) });
  const captures = capturesInProgress(sessions.data?.data ?? []);
  if (captures.length === 0) return null;
  return (
    <section aria-labelledby="captures-title" className="card">
      <h2 id="captures-title">Captures in progress</h2>
      <ul aria-label="Captures in progress">
        {captures.map((session) => (
          <li key={session.id} data-session-id={session.id}>
            <Link to={`/clone/${session.id}`}>{sessionTitle(session)}</Link> — staging{' '}
            <strong data-testid="staging-status">{session.staging_status}</strong>
            {session.staging_path && (
              <>
                {' '}
                to <code>{session.staging_path}</code>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
