import { useLive } from '../hooks/useLive';
import { formatTime } from '../lib/format';

/** "as of 17:05:12": shown beside live figures while the event stream is disconnected. */
export function StaleNote() {
  const { staleSince } = useLive();
  if (!staleSince) return null;
  return (
    <span className="stale-note" data-testid="stale-note">
      as of {formatTime(staleSince.toISOString())}
    </span>
  );
}

/** The class that dims live figures while they may be out of date. */
export function useStaleClass(): string {
  return useLive().staleSince ? ' stale' : '';
}
