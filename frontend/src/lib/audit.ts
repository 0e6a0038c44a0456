/** How audit-log entries are linked and filtered: pure helpers for the audit page. */

/** Where a stream's subject is shown in the UI: a session's page, a node's page; null when nothing is. */
export function streamLink(stream: string): { to: string; label: string } | null {
  const [category, id] = splitStream(stream);
  if (!id) return null;
  if (category === 'clone_session') return { to: `/clone/${id}`, label: `Session ${id.slice(0, 8)}` };
  if (category === 'node') return { to: `/nodes/${id}`, label: `Node ${id.slice(0, 8)}` };
  return null;
}

export function splitStream(stream: string): [string, string | null] {
  const colon = stream.indexOf(':');
  return colon < 0 ? [stream, null] : [stream.slice(0, colon), stream.slice(colon + 1)];
}

/**
 * The `stream` filter from the page's node or session filter (a session is the narrower, so it
 * wins when both are set); undefined when neither is.
 */
export function streamFilter(node: string, session: string): string | undefined {
  if (session.trim()) return `clone_session:${session.trim()}`;
  if (node.trim()) return `node:${node.trim()}`;
  return undefined;
}

/**
 * A `<input type="datetime-local">` value (local wall time, no zone) as RFC 3339 in UTC, or
 * undefined when empty or unparsable; and back, for showing a URL's filter in the input.
 */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}T${pad(time.getHours())}:${pad(time.getMinutes())}`;
}
