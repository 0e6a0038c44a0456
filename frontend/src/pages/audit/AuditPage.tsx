import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { auditApi, type AuditEntry, type EventType, type StreamCategory } from '../../api/audit';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useNodes } from '../../hooks/useNodes';
import { usePageTitle } from '../../hooks/usePageTitle';
import { isoToLocalInput, localInputToIso, streamFilter, streamLink } from '../../lib/audit';
import { formatDateTime, timeZoneLabel } from '../../lib/format';
import { auditKeys } from '../../state/queryKeys';
import { TableHead } from '../../components/TableHead';
import { Options } from '../../components/Options';

const PAGE_SIZE = 50;
/** The kinds of stream the log holds, as the OpenAPI declares them (the filter's choices). */
const CATEGORIES: readonly StreamCategory[] = ['clone_session', 'node', 'node_disks', 'storage_backend', 'api_token', 'unique'];
const FILTERS = ['category', 'event_type', 'actor', 'node', 'session', 'from', 'to'] as const;

/**
 * The controller's event log, filtered by kind, type, actor, node, session and time, newest
 * first, paged back with the log's `before` cursor. Filters live in the URL.
 */
export function AuditPage() {
  usePageTitle('Audit log');
  const [params, setParams] = useSearchParams();
  const get = (key: string) => params.get(key) ?? '';
  const before = Number(params.get('before')) || undefined;
  // Cursors of the newer pages, for "Newer" (the API pages in one direction).
  const [previous, setPrevious] = useState<(number | undefined)[]>([]);
  const nodes = useNodes();

  const query = {
    category: CATEGORIES.find((category) => category === get('category')),
    // Typed by hand: a name the log does not hold simply matches nothing.
    event_type: (get('event_type') || undefined) as EventType | undefined,
    actor: get('actor') || undefined,
    stream: streamFilter(get('node'), get('session')),
    from: get('from') || undefined,
    to: get('to') || undefined,
    order: 'desc' as const,
    before,
    limit: PAGE_SIZE,
  };
  const events = useQuery({ queryKey: auditKeys.events(query), queryFn: () => auditApi.events(query) });

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const key of FILTERS) {
      const raw = String(form.get(key) ?? '').trim();
      const value = key === 'from' || key === 'to' ? localInputToIso(raw) : raw;
      if (value) next.set(key, value);
    }
    setPrevious([]);
    setParams(next);
  }

  function goTo(cursor: number | undefined) {
    const next = new URLSearchParams(params);
    if (cursor) next.set('before', String(cursor));
    else next.delete('before');
    setParams(next);
  }

  const zone = timeZoneLabel();
  const entries = events.data?.data ?? [];
  const nextBefore = events.data?.next_before ?? null;

  return (
    <section>
      <h1>Audit log</h1>
      <form className="filters card" onSubmit={apply} aria-label="Audit log filters" key={params.toString()}>
        <div className="field">
          <label htmlFor="audit-category">Kind</label>
          <select id="audit-category" name="category" defaultValue={get('category')}>
            <option value="">Everything</option>
            <Options items={CATEGORIES} />
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-type">Event type</label>
          <input id="audit-type" name="event_type" type="text" placeholder="clone_session.failed" defaultValue={get('event_type')} />
        </div>
        <div className="field">
          <label htmlFor="audit-actor">Actor</label>
          <input id="audit-actor" name="actor" type="text" placeholder="operator:alice" defaultValue={get('actor')} />
        </div>
        <div className="field">
          <label htmlFor="audit-node">Node</label>
          <select id="audit-node" name="node" defaultValue={get('node')}>
            <option value="">Any node</option>
            <Options items={nodes.data?.data ?? []} value={(node) => node.id} label={(node) => node.hostname} />
          </select>
        </div>
        <div className="field">
          <label htmlFor="audit-session">Session id</label>
          <input id="audit-session" name="session" type="text" defaultValue={get('session')} />
        </div>
        <div className="field">
          <label htmlFor="audit-from">From ({zone})</label>
          <input id="audit-from" name="from" type="datetime-local" defaultValue={isoToLocalInput(get('from'))} />
        </div>
        <div className="field">
          <label htmlFor="audit-to">To ({zone})</label>
          <input id="audit-to" name="to" type="datetime-local" defaultValue={isoToLocalInput(get('to'))} />
        </div>
        <div className="field field-submit">
          <button type="submit" className="primary">
            Apply filters
          </button>
        </div>
      </form>

      {events.isPending && <p role="status">Loading the audit log…</p>}
      {events.isError && <ErrorNotice error={events.error} what="the audit log" onRetry={() => void events.refetch()} />}
      {events.isSuccess && entries.length === 0 && <p className="empty-state">No events match these filters.</p>}
      {entries.length > 0 && (
        <div className="table-scroll" role="region" aria-label="Audit log entries" tabIndex={0}>
          <table className="audit-table">
            <TableHead columns={[`Time (${zone})`, 'Event', 'Subject', 'Actor', 'Details']} />
            <tbody>
              {entries.map((entry) => (
                <AuditRow key={entry.position} entry={entry} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pagination" aria-label="Audit log pages">
        <button
          type="button"
          disabled={previous.length === 0}
          onClick={() => {
            const rest = previous.slice(0, -1);
            goTo(previous[previous.length - 1]);
            setPrevious(rest);
          }}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={nextBefore === null}
          onClick={() => {
            setPrevious([...previous, before]);
            goTo(nextBefore ?? undefined);
          }}
        >
          Older
        </button>
        <button type="button" onClick={() => void events.refetch()}>
          Refresh
        </button>
      </nav>
    </section>
  );
}

function AuditRow({ entry }: { entry: AuditEntry }) {
  const link = streamLink(entry.stream);
  return (
    <tr data-position={entry.position} data-event-type={entry.event_type}>
      <td className="nowrap">
        <time dateTime={entry.recorded_at}>{formatDateTime(entry.recorded_at)}</time>
      </td>
      <td>
        <code>{entry.event_type}</code>
      </td>
      <td>{link ? <Link to={link.to}>{link.label}</Link> : <code>{entry.stream}</code>}</td>
      <td>{entry.actor ?? '—'}</td>
      <td>
        <details>
          <summary>Payload</summary>
          <pre className="payload">{JSON.stringify(entry.payload, null, 2)}</pre>
        </details>
      </td>
    </tr>
  );
}
