import { ProgressBar } from '../../components/ProgressBar';
import { StaleNote, useStaleClass } from '../../components/StaleNote';
import type { SessionStall } from '../../hooks/useStalls';
import { etaSeconds, formatEta, formatRate } from '../../lib/format';
import { barTone, statusMessage } from '../../lib/stall';
import type { CloneSession } from '../../types/clone';
import { sessionTitle } from './sessionText';

/** Progress bar coloured by state, the one-line status message, and rate and time left while data moves. */
export function CloneProgressCell({ session, stall }: { session: CloneSession; stall: SessionStall | undefined }) {
  const stalled = !!stall?.stalled;
  const moving = session.status === 'cloning' && !stalled;
  const eta = etaSeconds(session.bytes_transferred, session.bytes_total, session.transfer_rate_bps);
  const message = statusMessage(session, stall?.last, stall ?? { stalled: false, silentMs: null });
  return (
    <div className={`progress-cell${useStaleClass()}`}>
      <ProgressBar
        percent={session.progress_percent}
        label={`Progress of ${sessionTitle(session)}`}
        tone={barTone(session.status, stalled)}
      />
      <span className={`status-message${stalled ? ' status-stalled' : ''}`} data-testid="status-message">
        {message}
      </span>
      {moving && (
        <span className="muted">
          {formatRate(session.transfer_rate_bps)} · ETA {formatEta(eta)}
        </span>
      )}
      <StaleNote />
    </div>
  );
}
