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
