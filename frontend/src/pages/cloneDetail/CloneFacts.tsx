import { RelativeTime } from '../../components/RelativeTime';
import { formatDateTime, formatDuration, NONE } from '../../lib/format';
import { RESIZE_MODE_LABELS, TERMINAL_STATUSES, type CloneSession } from '../../types/clone';
import { sourceName, targetName } from '../clones/sessionText';

/** Where the data comes from and goes to, when, and the session certificates' expiry. */
export function CloneFacts({ session }: { session: CloneSession }) {
  const staged = session.clone_mode === 'staged';
  // An ended session's certificates were revoked with it: their expiry no longer matters.
  const ended = TERMINAL_STATUSES.includes(session.status);
  const certExpiry = (value: string | null | undefined) =>
    !value ? 'not issued' : ended ? 'revoked when the session ended' : <CertExpiry value={value} />;
  return (
    <section aria-labelledby="facts-title" className="card">
      <h2 id="facts-title">Details</h2>
      <dl className="facts">
        <dt>Mode</dt>
        <dd>{staged ? 'Staged' : 'Direct'}</dd>
        <dt>Source</dt>
        <dd>
          {sourceName(session)} <code>{session.source_device}</code>
        </dd>
        <dt>Source endpoint</dt>
        <dd>{session.source_ip ? <code>{`${session.source_ip}:${session.source_port}`}</code> : 'not ready yet'}</dd>
        <dt>{staged ? 'Storage backend' : 'Target'}</dt>
        <dd>
          {targetName(session)} {!staged && <code>{session.target_device}</code>}
        </dd>
        {staged && (
          <>
            <dt>Staging path</dt>
            <dd>{session.staging_path ? <code>{session.staging_path}</code> : NONE}</dd>
            <dt>Staging status</dt>
            <dd>{session.staging_status ?? NONE}</dd>
          </>
        )}
        <dt>Resize</dt>
        <dd>{RESIZE_MODE_LABELS[session.resize_mode] ?? session.resize_mode}</dd>
        <dt>Created</dt>
        <dd>
          <RelativeTime value={session.created_at} />
          {session.created_by ? ` by ${session.created_by}` : ''}
        </dd>
        <dt>Started</dt>
        <dd>
          <RelativeTime value={session.started_at} />
        </dd>
        <dt>Finished</dt>
        <dd>
          <RelativeTime value={session.completed_at} />
        </dd>
        <dt>Duration</dt>
        <dd>{formatDuration(session.duration_seconds)}</dd>
        {!staged && (
          <>
            <dt>Source certificate expires</dt>
            <dd>{certExpiry(session.source_cert_expires_at)}</dd>
            <dt>Target certificate expires</dt>
            <dd>{certExpiry(session.target_cert_expires_at)}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function CertExpiry({ value }: { value: string }) {
  return (
    <>
      {formatDateTime(value)} (<RelativeTime value={value} />)
    </>
  );
}
