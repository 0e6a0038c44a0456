import { isNotFound } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useCloneHistory } from '../../hooks/useCloneSessions';
import { formatDateTime, formatTime, parseDate } from '../../lib/format';
import { sameLocalDay, timelineText } from '../../lib/timeline';

/** The session's recorded events, oldest first; refreshed on each event for it. */
export function CloneTimeline({ sessionId }: { sessionId: string }) {
  const history = useCloneHistory(sessionId);
  const entries = [...(history.data?.data ?? [])].sort((a, b) => a.position - b.position);

  return (
    <section aria-labelledby="timeline-title" className="card">
      <h2 id="timeline-title">Timeline</h2>
      {history.isPending && <p role="status">Loading timeline…</p>}
      {history.isError &&
        (isNotFound(history.error) ? (
          <p className="muted">This controller does not record a timeline for the session.</p>
        ) : (
          <ErrorNotice error={history.error} what="the timeline" />
        ))}
      {history.isSuccess && entries.length === 0 && <p className="muted">No events recorded yet.</p>}
      {entries.length > 0 && (
        <ol className="timeline" data-testid="timeline">
          {entries.map((entry, index) => {
            const { title, detail } = timelineText(entry.event_type, entry.summary);
            // The date once, then again only when the day changes; the time on every entry.
            const at = parseDate(entry.recorded_at);
            const before = index > 0 ? parseDate(entries[index - 1]?.recorded_at) : null;
            const newDay = !at || !before || !sameLocalDay(at, before);
            return (
              <li key={entry.position} data-event-type={entry.event_type}>
                <time dateTime={entry.recorded_at} title={formatDateTime(entry.recorded_at)}>
                  {newDay ? formatDateTime(entry.recorded_at) : formatTime(entry.recorded_at)}
                </time>
                <strong>{title}</strong>
                {detail && <span className="timeline-detail">{detail}</span>}
                {entry.actor && <span className="muted">by {entry.actor}</span>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
