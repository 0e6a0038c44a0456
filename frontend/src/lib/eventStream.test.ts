import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebSocketEvent } from '../api/events';
import { EventStream, PING_INTERVAL_MS, type SocketLike } from './eventStream';

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.({});
  }
  receive(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code?: number) {
    this.onclose?.(code === undefined ? {} : { code });
  }
}

const created = (id: string, position: number) => ({ type: 'clone.created', data: { session_id: id }, position });

describe('EventStream', () => {
  let sockets: FakeSocket[];
  let events: WebSocketEvent[];
  let gaps: number;
  let revoked: number;
  let stream: EventStream;
  const last = () => sockets[sockets.length - 1]!;
  /** The first socket opens and sees session `a` at position 7, then drops. */
  const openSeeSevenAndDrop = () => {
    last().open();
    last().receive(created('a', 7));
    last().drop();
  };

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    events = [];
    gaps = 0;
    revoked = 0;
    stream = new EventStream({
      url: (from) => `ws://test/api/v1/ws${from === null ? '' : `?from=${from}`}`,
      onEvent: (event) => events.push(event),
      onGap: () => (gaps += 1),
      onRevoked: () => (revoked += 1),
      createSocket: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket;
      },
      random: () => 1,
      now: () => Date.now(),
    });
    stream.start();
  });

  afterEach(() => {
    stream.stop();
    vi.useRealTimers();
  });

  it('reports a gap on first connect, since events before it were not seen', () => {
    last().open();

    expect(gaps).toBe(1);
  });

  it.each([
    { code: 4001, meaning: 'token revoked: stops, reports it, never retries it', revokedCount: 1, socketCount: 1 },
    { code: 1006, meaning: 'any other close: reconnects', revokedCount: 0, socketCount: 2 },
  ])('a close with code $code ($meaning)', ({ code, revokedCount, socketCount }) => {
    last().open();
    last().drop(code);

    vi.advanceTimersByTime(60_000);
    expect(revoked).toBe(revokedCount);
    expect(sockets).toHaveLength(socketCount);
  });

  it('resumes from the last position after a drop, without a gap', () => {
    openSeeSevenAndDrop();

    vi.advanceTimersByTime(500);
    last().open();

    expect(sockets).toHaveLength(2);
    expect(last().url).toBe('ws://test/api/v1/ws?from=7');
    expect(gaps).toBe(1);
  });

  it('drops events it has already seen when the server replays them', () => {
    last().open();
    last().receive(created('a', 7));
    last().receive(created('a', 7));
    last().receive(created('b', 8));

    expect(events.map((e) => e.position)).toEqual([7, 8]);
  });

  it('backs off exponentially while the server stays away', () => {
    last().drop();
    vi.advanceTimersByTime(499);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);

    last().drop();
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
  });

  it('reconnects from the position the server gives on resync', () => {
    last().open();
    last().receive(created('a', 3));
    last().receive({ type: 'resync', position: 5 });

    expect(sockets[0]!.closed).toBe(true);
    vi.advanceTimersByTime(500);
    expect(last().url).toBe('ws://test/api/v1/ws?from=5');
    last().open();
    last().receive(created('c', 6));

    expect(gaps).toBe(1);
    expect(events.map((e) => e.position)).toEqual([3, 6]);
  });

  it('reports a gap when prev_position shows a message was lost', () => {
    last().open();
    last().receive(created('a', 7));
    last().receive({ ...created('b', 12), prev_position: 9 });

    expect(gaps).toBe(2);
    expect(events.map((e) => e.position)).toEqual([7, 12]);
  });

  it('proves continuity across positions that are never sent', () => {
    openSeeSevenAndDrop();
    vi.advanceTimersByTime(500);
    last().open();
    last().receive({ ...created('b', 10), prev_position: 7 });
    last().receive({ ...created('c', 13), prev_position: 10 });

    expect(gaps).toBe(1);
    expect(events.map((e) => e.position)).toEqual([7, 10, 13]);
  });

  it('starts afresh, reporting a gap, when resuming is refused twice before opening', () => {
    openSeeSevenAndDrop();
    vi.advanceTimersByTime(500);
    expect(last().url).toBe('ws://test/api/v1/ws?from=7');
    last().drop(); // e.g. 422: 7 is past the head of a restored log
    vi.advanceTimersByTime(1000);
    expect(last().url).toBe('ws://test/api/v1/ws?from=7');
    last().drop();
    vi.advanceTimersByTime(2000);

    expect(last().url).toBe('ws://test/api/v1/ws');
    last().open();
    expect(gaps).toBe(2);
    last().receive({ ...created('b', 3), prev_position: 2 });
    expect(events.map((e) => e.position)).toEqual([7, 3]);
  });

  it('pings every 25 seconds', () => {
    last().open();
    last().receive({ type: 'pong' });
    vi.advanceTimersByTime(PING_INTERVAL_MS);

    expect(last().sent).toEqual([JSON.stringify({ type: 'ping' })]);
  });

  it('gives up on a silent connection and reconnects', () => {
    last().open();
    vi.advanceTimersByTime(3 * PING_INTERVAL_MS + 500);

    expect(sockets[0]!.closed).toBe(true);
    expect(sockets.length).toBeGreaterThan(1);
  });

  it('stays closed once stopped', () => {
    last().open();
    stream.stop();
    vi.advanceTimersByTime(60_000);

    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.closed).toBe(true);
  });

  it('ignores frames that are not events', () => {
    last().open();
    last().onmessage?.({ data: 'not json' });
    last().receive({ type: 'clone.created' });

    expect(events).toEqual([]);
  });
});
