/**
 * A resumable subscription to the controller's event WebSocket, free of React
 * so it can be tested with a fake socket and fake timers.
 *
 * - Reconnects with exponential back-off (see backoff.ts) until stopped.
 * - Resumes with `from=<last position seen>` and drops events it has already
 *   seen, so a reconnect neither loses nor repeats events.
 * - Reports a *gap* whenever continuity cannot be proven (a connect before any
 *   event was seen, so nothing to resume from; or an event whose
 *   `prev_position` is past the last position handled, so one in between was
 *   lost): the caller then refetches.
 * - A resume refused before the socket opens (e.g. 422: the cursor is past the
 *   log's head after the controller's database was restored) is retried once,
 *   then the stream starts afresh (and reports a gap) rather than retrying the
 *   same cursor forever; a browser cannot read the handshake's status.
 * - On `resync` (the client fell behind) reconnects from the position given.
 * - Pings every 25 s; a connection silent for two intervals is presumed dead
 *   (a half-open TCP connection never fires `close` on its own).
 * - A close with code 4001 (the server revoked the token the socket was opened
 *   with; see the `/ws` operation in the OpenAPI document) stops the stream
 *   and calls `onRevoked`: retrying with the same token cannot succeed.
 */
import { parseServerMessage, type WebSocketEvent } from '../api/events';
import { reconnectDelay } from './backoff';

export const PING_INTERVAL_MS = 25_000;
/** The close code of a socket whose token was revoked (the server's `/ws` contract). */
export const TOKEN_REVOKED_CLOSE_CODE = 4001;

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'stopped';

/** The part of the browser WebSocket this module uses. */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}

export interface EventStreamOptions {
  /** The address to connect to, resuming after `from` when known. */
  url: (from: number | null) => string;
  onEvent: (event: WebSocketEvent) => void;
  /** Events may have been missed: refetch what is on screen. */
  onGap: () => void;
  onStateChange?: (state: ConnectionState) => void;
  /** The server closed the socket because its token was revoked: the stream has stopped. */
  onRevoked?: () => void;
  createSocket?: (url: string) => SocketLike;
  random?: () => number;
  now?: () => number;
}

export class EventStream {
  private socket: SocketLike | null = null;
  private attempt = 0;
  /** Highest event position handled; events at or below it are duplicates. */
  private seen: number | null = null;
  private gapPending = true;
  /** Resumes in a row whose socket closed before it opened. */
  private failedResumes = 0;
  private opened = false;
  /** Resumes refused before opening, after which the stream starts afresh. */
  static readonly MAX_FAILED_RESUMES = 2;
  private stopped = false;
  private lastMessageAt = 0;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly options: EventStreamOptions;

  constructor(options: EventStreamOptions) {
    this.options = options;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
    this.options.onStateChange?.('stopped');
  }

  private connect() {
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
    if (this.failedResumes >= EventStream.MAX_FAILED_RESUMES) {
      this.failedResumes = 0;
      this.seen = null;
      this.gapPending = true;
    }
    const socket = create(this.options.url(this.seen));
    this.socket = socket;
    this.opened = false;
    this.options.onStateChange?.(this.attempt === 0 ? 'connecting' : 'reconnecting');

    socket.onopen = () => this.handleOpen();
    socket.onmessage = (message) => this.handleMessage(message.data);
    socket.onerror = () => {}; // a close event always follows; handled there
    socket.onclose = (event) => {
      if ((event as { code?: number } | null)?.code === TOKEN_REVOKED_CLOSE_CODE) {
        this.stop();
        this.options.onRevoked?.();
        return;
      }
      this.handleClose(socket);
    };
  }

  private handleOpen() {
    this.attempt = 0;
    this.opened = true;
    this.failedResumes = 0;
    this.lastMessageAt = this.now();
    this.options.onStateChange?.('open');
    this.pingTimer = setInterval(() => this.ping(), PING_INTERVAL_MS);
    if (this.gapPending || this.seen === null) {
      this.gapPending = false;
      this.options.onGap();
    }
  }

  private handleMessage(raw: unknown) {
    this.lastMessageAt = this.now();
    if (typeof raw !== 'string') return;
    const message = parseServerMessage(raw);
    if (!message || message.type === 'pong') return;

    if (message.type === 'resync') {
      // N is the last position the server sent us; it replays everything after
      // it from the log, so resuming there loses nothing.
      this.seen = Math.max(this.seen ?? message.position, message.position);
      this.dropSocket();
      return;
    }

    const position = message.position;
    if (typeof position === 'number') {
      if (this.seen !== null && position <= this.seen) return;
      // The server sent something after `seen` that never arrived here.
      const prev = message.prev_position;
      if (this.seen !== null && typeof prev === 'number' && prev > this.seen) this.options.onGap();
      this.seen = position;
    }
    this.options.onEvent(message);
  }

  private handleClose(socket: SocketLike) {
    if (socket !== this.socket) return;
    this.clearTimers();
    this.socket = null;
    if (!this.opened && this.seen !== null) this.failedResumes += 1;
    if (this.stopped) return;
    this.options.onStateChange?.('reconnecting');
    const delay = reconnectDelay(this.attempt++, this.options.random);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Closes the current socket and reconnects without waiting for its close handshake. */
  private dropSocket() {
    const socket = this.socket;
    if (!socket) return;
    socket.onclose = null;
    socket.close();
    this.handleClose(socket);
  }

  private ping() {
    if (this.now() - this.lastMessageAt > 2 * PING_INTERVAL_MS) {
      this.dropSocket(); // presumed dead
      return;
    }
    this.socket?.send(JSON.stringify({ type: 'ping' }));
  }

  private clearTimers() {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.pingTimer = null;
    this.retryTimer = null;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
