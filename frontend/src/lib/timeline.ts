/**
 * How one history entry reads in a session's timeline. The entries all belong
 * to the session on screen, so the aggregate in the event type
 * ("clone_session.") is left out of the title, and a summary that only says
 * the title again ("clone started" under "Started") is not repeated.
 */
import { humanizeIdentifier } from './format';

export interface TimelineText {
  title: string;
  /** The server's summary, or null when it adds nothing to the title. */
  detail: string | null;
}

const FILLER = new Set(['clone', 'session']);

function words(text: string): string {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word && !FILLER.has(word))
    .join(' ');
}

/** "clone_session.source_ready" → "Source ready"; an unqualified type is humanized whole. */
export function eventTitle(eventType: string): string {
  const action = eventType.slice(eventType.lastIndexOf('.') + 1);
  return humanizeIdentifier(action || eventType);
}

export function timelineText(eventType: string, summary: string | null | undefined): TimelineText {
  const title = eventTitle(eventType);
  const text = summary?.trim() ?? '';
  const detail = !text || words(text) === words(title) ? null : text.charAt(0).toUpperCase() + text.slice(1);
  return { title, detail };
}

/** Whether two instants fall on the same local calendar day. */
export function sameLocalDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** A history entry as the timeline needs it (the API's CloneHistoryEntry). */
export interface TimelineEntry {
  position: number;
  event_type: string;
  recorded_at: string;
  payload: unknown;
}

/** A row of the timeline: one state change, or a run of consecutive progress reports. */
export type TimelineItem<E extends TimelineEntry> =
  | { kind: 'event'; entry: E }
  | { kind: 'progress'; entries: E[]; rates: number[]; bytes: number[] };

const isProgress = (entry: TimelineEntry) => entry.event_type.endsWith('progress_reported');

/**
 * Consecutive progress reports collapsed into one row (with their rates, for a sparkline), so
 * hours of cloning make one row, not thousands; every other event stays a row of its own.
 */
export function groupTimeline<E extends TimelineEntry>(entries: E[]): TimelineItem<E>[] {
  const items: TimelineItem<E>[] = [];
  for (const entry of entries) {
    if (!isProgress(entry)) {
      items.push({ kind: 'event', entry });
      continue;
    }
    const payload = (entry.payload ?? {}) as { transfer_rate_bps?: unknown; bytes_transferred?: unknown };
    const rate = typeof payload.transfer_rate_bps === 'number' ? payload.transfer_rate_bps : 0;
    const bytes = typeof payload.bytes_transferred === 'number' ? payload.bytes_transferred : 0;
    const last = items.at(-1);
    if (last?.kind === 'progress') {
      last.entries.push(entry);
      last.rates.push(rate);
      last.bytes.push(bytes);
    } else {
      items.push({ kind: 'progress', entries: [entry], rates: [rate], bytes: [bytes] });
    }
  }
  return items;
}

/** SVG polyline points for `values` in a `width`×`height` box (the largest value touches the top). */
export function sparklinePoints(values: number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((value, i) => `${(i * step).toFixed(1)},${(height - (value / max) * height).toFixed(1)}`)
    .join(' ');
}
