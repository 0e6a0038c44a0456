import { ProgressBar } from '../../components/ProgressBar';
import { etaSeconds, formatBytes, formatEta, formatRate } from '../../lib/format';
import type { CloneSession } from '../../types/clone';

/** Live transfer figures: the bar, bytes moved, rate and time left. */
export function CloneTransfer({ session }: { session: CloneSession }) {
  const cloning = session.status === 'cloning';
  const eta = cloning ? etaSeconds(session.bytes_transferred, session.bytes_total, session.transfer_rate_bps) : null;
  return (
    <section aria-labelledby="transfer-title" className="card">
      <h2 id="transfer-title">Transfer</h2>
      <ProgressBar percent={session.progress_percent} label="Clone progress" />
      <dl className="facts">
        <dt>Transferred</dt>
        <dd data-testid="bytes-transferred">
          {formatBytes(session.bytes_transferred)} of {formatBytes(session.bytes_total)}
        </dd>
        <dt>Rate</dt>
        <dd>{cloning ? formatRate(session.transfer_rate_bps) : '—'}</dd>
        <dt>Time left</dt>
        <dd>{formatEta(eta)}</dd>
      </dl>
    </section>
  );
}
