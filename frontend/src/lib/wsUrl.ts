/**
 * The WebSocket address on the page's own origin (wss: under https:).
 * Browsers cannot set headers on a WebSocket, so the token rides as a query
 * parameter; `from` resumes after the last event position seen.
 */
export function webSocketUrl(
  location: { protocol: string; host: string },
  token: string | null,
  from: number | null,
): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams();
  if (token) params.set('token', token);
  if (from !== null) params.set('from', String(from));
  const query = params.toString();
  return `${scheme}//${location.host}/api/v1/ws${query ? `?${query}` : ''}`;
}
