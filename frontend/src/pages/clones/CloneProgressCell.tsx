import { ProgressBar } from '../../components/ProgressBar';
import { etaSeconds, formatEta, formatRate } from '../../lib/format';
import type { CloneSession } from '../../types/clone';
import { sessionTitle } from './sessionText';

/** Progress bar plus rate and time left while data moves. */
export function CloneProgressCell({ session }: { session: CloneSession }) {
  const moving = session.status === 'cloning';
  const eta = etaSeconds(session.bytes_transferred, session.bytes_total, session.transfer_rate_bps);
  return (
    <div className="progress-cell">
      <ProgressBar percent={session.progress_percent} label={`Progress of ${sessionTitle(session)}`} />
      {moving && (
        <span className="muted">
          {formatRate(session.transfer_rate_bps)} · ETA {formatEta(eta)}
        </span>
      )}
    </div>
  );
}
