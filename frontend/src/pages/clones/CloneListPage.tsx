import { Link, useSearchParams } from 'react-router-dom';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Pagination } from '../../components/Pagination';
import { useCloneSessions } from '../../hooks/useCloneSessions';
import { CLONE_STATUSES, CLONE_STATUS_LABELS, isCloneStatus } from '../../types/clone';
import { CloneTable } from './CloneTable';
import { usePageTitle } from '../../hooks/usePageTitle';
import { setStallMinutes, useStallMinutes } from '../../state/settings';
import { Options } from '../../components/Options';

const PAGE_SIZE = 20;

/** All clone sessions, newest first; filter and page live in the URL so views can be shared. */
export function CloneListPage() {
  usePageTitle('Clone sessions');
  const [params, setParams] = useSearchParams();
  const stallMinutes = useStallMinutes();
  const status = params.get('status') ?? '';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const sessions = useCloneSessions({ status: status || undefined, limit: PAGE_SIZE, offset });

  function update(next: { status?: string; offset?: number }) {
    const merged = new URLSearchParams(params);
    if (next.status !== undefined) {
      if (next.status) merged.set('status', next.status);
      else merged.delete('status');
      merged.delete('offset');
    }
    if (next.offset !== undefined) {
      if (next.offset > 0) merged.set('offset', String(next.offset));
      else merged.delete('offset');
    }
    setParams(merged);
  }

  const rows = sessions.data?.data ?? [];
  const total = sessions.data?.total ?? 0;

  return (
    <section>
      <div className="page-heading">
        <h1>Clone sessions</h1>
        <Link className="button primary" to="/clone/new">
          New clone
        </Link>
      </div>

      <div className="toolbar">
        <div className="field field-inline">
          <label htmlFor="status-filter">Status</label>
          <select id="status-filter" value={status} onChange={(event) => update({ status: event.target.value })}>
            <option value="">All statuses</option>
            <Options items={CLONE_STATUSES} label={(value) => CLONE_STATUS_LABELS[value]} />
          </select>
        </div>
        <div className="field field-inline">
          <label htmlFor="stall-minutes">Stalled after (min)</label>
          <input
            id="stall-minutes"
            type="number"
            min={0.1}
            step={0.1}
            className="short-number"
            defaultValue={stallMinutes}
            onChange={(event) => setStallMinutes(Number(event.target.value))}
          />
        </div>
      </div>

      {sessions.isPending && <p role="status">Loading clone sessions…</p>}
      {sessions.isError && <ErrorNotice error={sessions.error} what="clone sessions" onRetry={() => void sessions.refetch()} />}
      {sessions.isSuccess && rows.length === 0 && (
        <div className="empty-state">
          {status ? (
            <p>No clone sessions with status “{isCloneStatus(status) ? CLONE_STATUS_LABELS[status] : status}”.</p>
          ) : (
            <p>
              No clone sessions yet — create one with <Link to="/clone/new">New clone</Link>.
            </p>
          )}
        </div>
      )}
      {rows.length > 0 && (
        <>
          <CloneTable sessions={rows} />
          <Pagination offset={offset} limit={PAGE_SIZE} total={total} onChange={(next) => update({ offset: next })} />
        </>
      )}
    </section>
  );
}
