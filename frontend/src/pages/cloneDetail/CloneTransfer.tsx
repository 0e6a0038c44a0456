import { Bytes } from '../../components/Bytes';
import { ProgressBar } from '../../components/ProgressBar';
import { StaleNote, useStaleClass } from '../../components/StaleNote';
import { useStalls } from '../../hooks/useStalls';
import { useNow } from '../../hooks/useNow';
import { etaSeconds, formatDuration, formatEta, formatPercent, formatRate } from '../../lib/format';
import { transferFigures } from '../../lib/transfer';
import { barTone, statusMessage } from '../../lib/stall';
import type { CloneSession } from '../../types/clone';

/**
 * Live transfer figures: the bar coloured by state, what the session is doing (or that it went
 * quiet), bytes moved and how many crossed the network, verify progress, rate (average once
 * finished), elapsed time and time left; dimmed "as of" a time while the event stream is
 * disconnected.
 */
export function CloneTransfer({ session }: { session: CloneSession }) {
  const stall = useStalls([session]).get(session.id);
  const now = useNow(1000);
  const stalled = !!stall?.stalled;
  const cloning = session.status === 'cloning';
  const figures = transferFigures(session, now);
  const verifying = figures.verifyPercent !== null;
  const eta =
    cloning && !stalled && !verifying
      ? etaSeconds(session.bytes_transferred, session.bytes_total, session.transfer_rate_bps)
      : null;
  const completed = session.status === 'completed';
  return (
    <section aria-labelledby="transfer-title" className={`card${useStaleClass()}`} data-testid="transfer-card">
      <h2 id="transfer-title">
        Transfer <StaleNote />
      </h2>
      <ProgressBar percent={session.progress_percent} label="Clone progress" tone={barTone(session.status, stalled)} />
      <p className={`status-message${stalled ? ' status-stalled' : ''}`} data-testid="status-message">
        {statusMessage(session, stall?.last, stall ?? { stalled: false, silentMs: null })}
      </p>
      {verifying && (
        <div data-testid="verify-progress">
          <ProgressBar percent={figures.verifyPercent ?? 0} label="Verify progress" tone={stalled ? 'stalled' : 'running'} />
          <p className="muted">
            Verified <Bytes value={session.verified_bytes ?? 0} /> of <Bytes value={session.bytes_total} /> (
            {formatPercent(figures.verifyPercent)})
          </p>
        </div>
      )}
      <dl className="facts">
        <dt>Transferred</dt>
        <dd data-testid="bytes-transferred">
          <Bytes value={session.bytes_transferred} /> of <Bytes value={session.bytes_total} />
        </dd>
        {figures.wireBytes !== null && (
          <>
            <dt>Sent over the network</dt>
            <dd data-testid="bytes-on-wire">
              <Bytes value={figures.wireBytes} />
              {figures.skippedPercent ? ` (${formatPercent(figures.skippedPercent)} skipped: empty or already there)` : ''}
            </dd>
          </>
        )}
        {completed ? (
          <>
            <dt>Average rate</dt>
            <dd data-testid="average-rate">{formatRate(figures.averageRate)}</dd>
          </>
        ) : (
          <>
            <dt>Rate</dt>
            <dd>{cloning && !stalled ? formatRate(session.transfer_rate_bps) : '—'}</dd>
          </>
        )}
        {figures.elapsedSeconds !== null && (
          <>
            <dt>Elapsed</dt>
            <dd data-testid="elapsed">{formatDuration(figures.elapsedSeconds)}</dd>
          </>
        )}
        <dt>Time left</dt>
        <dd>{formatEta(eta)}</dd>
      </dl>
    </section>
  );
}
