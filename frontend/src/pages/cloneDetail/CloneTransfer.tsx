import { Bytes } from '../../components/Bytes';
import { ProgressBar } from '../../components/ProgressBar';
import { StaleNote, useStaleClass } from '../../components/StaleNote';
import { useStalls } from '../../hooks/useStalls';
import { useNow } from '../../hooks/useNow';
import { etaSeconds, formatDuration, formatEta, formatRate, parseDate } from '../../lib/format';
import { barTone, statusMessage } from '../../lib/stall';
import type { CloneSession } from '../../types/clone';

/**
 * Live transfer figures: the bar coloured by state, what the session is doing (or that it went
 * quiet), bytes moved, rate, elapsed time and time left; dimmed "as of" a time while the event
 * stream is disconnected.
 */
export function CloneTransfer({ session }: { session: CloneSession }) {
  const stall = useStalls([session]).get(session.id);
  const now = useNow(1000);
  const stalled = !!stall?.stalled;
  const cloning = session.status === 'cloning';
  const eta = cloning && !stalled ? etaSeconds(session.bytes_transferred, session.bytes_total, session.transfer_rate_bps) : null;
  const started = parseDate(session.started_at);
  const elapsed = cloning && started ? (now.getTime() - started.getTime()) / 1000 : null;
  const completed = session.status === 'completed';
  // Over the whole transfer (source ready → completed); unknown for a clone done within a second.
  const averageRate = session.duration_seconds
    ? (session.bytes_total ?? session.bytes_transferred) / session.duration_seconds
    : null;
  return (
    <section aria-labelledby="transfer-title" className={`card${useStaleClass()}`} data-testid="transfer-card">
      <h2 id="transfer-title">
        Transfer <StaleNote />
      </h2>
      <ProgressBar percent={session.progress_percent} label="Clone progress" tone={barTone(session.status, stalled)} />
      <p className={`status-message${stalled ? ' status-stalled' : ''}`} data-testid="status-message">
        {statusMessage(session, stall?.last, stall ?? { stalled: false, silentMs: null })}
      </p>
      <dl className="facts">
        <dt>Transferred</dt>
        <dd data-testid="bytes-transferred">
          <Bytes value={session.bytes_transferred} /> of <Bytes value={session.bytes_total} />
        </dd>
        {completed ? (
          <>
            <dt>Average rate</dt>
            <dd>{formatRate(averageRate)}</dd>
          </>
        ) : (
          <>
            <dt>Rate</dt>
            <dd>{cloning && !stalled ? formatRate(session.transfer_rate_bps) : '—'}</dd>
          </>
        )}
        {elapsed !== null && (
          <>
            <dt>Elapsed</dt>
            <dd>{formatDuration(elapsed)}</dd>
          </>
        )}
        <dt>Time left</dt>
        <dd>{formatEta(eta)}</dd>
      </dl>
    </section>
  );
}
