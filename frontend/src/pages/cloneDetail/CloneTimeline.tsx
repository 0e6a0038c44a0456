import { isNotFound } from '../../api/client';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useCloneHistory } from '../../hooks/useCloneSessions';
import { formatBytes, formatDateTime, formatRate, formatTime, parseDate, timeZoneLabel } from '../../lib/format';
import { groupTimeline, sameLocalDay, sparklinePoints, timelineText } from '../../lib/timeline';
import type { CloneHistoryEntry } from '../../types/clone';

/**
 * The session's recorded events, oldest first; refreshed on each event for it. Consecutive
 * progress reports make one row with a sparkline of the rate.
 */
export function CloneTimeline({ sessionId }: { sessionId: string }) {
  const history = useCloneHistory(sessionId);
  const entries = [...(history.data?.data ?? [])].sort((a, b) => a.position - b.position);
  const items = groupTimeline(entries);

  return (
    <section aria-labelledby="timeline-title" className="card">
      <h2 id="timeline-title">
        Timeline <span className="muted zone-label">({timeZoneLabel()})</span>
      </h2>
      {history.isPending && <p role="status">Loading timeline…</p>}
      {history.isError &&
        (isNotFound(history.error) ? (
          <p className="muted">This controller does not record a timeline for the session.</p>
        ) : (
          <ErrorNotice error={history.error} what="the timeline" onRetry={() => void history.refetch()} />
        ))}
      {history.isSuccess && entries.length === 0 && <p className="muted">No events recorded yet.</p>}
      {items.length > 0 && (
        <ol className="timeline" data-testid="timeline">
          {items.map((item, index) => {
            const first = item.kind === 'event' ? item.entry : item.entries[0]!;
            const previous = index > 0 ? lastOf(items[index - 1]!) : null;
            // The date once, then again only when the day changes; the time on every entry.
            const at = parseDate(first.recorded_at);
            const before = previous ? parseDate(previous.recorded_at) : null;
            const newDay = !at || !before || !sameLocalDay(at, before);
            const time = (
              <time dateTime={first.recorded_at} title={formatDateTime(first.recorded_at)}>
                {newDay ? formatDateTime(first.recorded_at) : formatTime(first.recorded_at)}
              </time>
            );
            if (item.kind === 'progress') {
              const last = item.entries.at(-1)!;
              const peak = Math.max(...item.rates);
              return (
                <li key={first.position} data-event-type={first.event_type} data-reports={item.entries.length}>
                  {time}
                  <strong>Progress</strong>
                  <span className="timeline-detail">
                    {item.entries.length} {item.entries.length === 1 ? 'report' : 'reports'} until{' '}
                    {formatTime(last.recorded_at)}, up to {formatBytes(item.bytes.at(-1))}
                    {peak > 0 && <>, peak {formatRate(peak)}</>}
                  </span>
                  {item.entries.length > 1 && peak > 0 && (
                    <svg className="sparkline" viewBox="0 0 120 24" role="img" aria-label="Transfer rate over these reports">
                      <polyline points={sparklinePoints(item.rates, 120, 22)} fill="none" stroke="currentColor" strokeWidth="1.5" />
                    </svg>
                  )}
                </li>
              );
            }
            const { entry } = item;
            const { title, detail } = timelineText(entry.event_type, entry.summary);
            return (
              <li key={entry.position} data-event-type={entry.event_type}>
                {time}
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

function lastOf(item: ReturnType<typeof groupTimeline<CloneHistoryEntry>>[number]): CloneHistoryEntry {
  return item.kind === 'event' ? item.entry : item.entries.at(-1)!;
}
