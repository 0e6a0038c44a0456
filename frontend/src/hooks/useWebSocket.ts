/**
 * One live connection to the controller's event stream for as long as the
 * calling component is mounted. Mount it once (useCloneUpdates does, in the
 * app layout): each call opens its own socket.
 */
import { useEffect, useRef, useState } from 'react';
import { getToken, reportUnauthorized } from '../auth/session';
import { EventStream, type ConnectionState } from '../lib/eventStream';
import { webSocketUrl } from '../lib/wsUrl';
import type { WebSocketEvent } from '../api/events';

export type { WebSocketEvent } from '../api/events';
export type { ConnectionState } from '../lib/eventStream';

export interface WebSocketHandlers {
  onEvent: (event: WebSocketEvent) => void;
  /** Events may have been missed (first connect, resync): refetch. */
  onGap: () => void;
}

export function useWebSocket(handlers: WebSocketHandlers): { state: ConnectionState } {
  const [state, setState] = useState<ConnectionState>('connecting');
  // The latest handlers, without reconnecting whenever the caller re-renders.
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  useEffect(() => {
    const stream = new EventStream({
      url: (from) => webSocketUrl(window.location, getToken(), from),
      onEvent: (event) => handlersRef.current.onEvent(event),
      onGap: () => handlersRef.current.onGap(),
      onStateChange: setState,
      // The token this tab holds was revoked: back to the sign-in screen.
      onRevoked: () => reportUnauthorized(getToken()),
    });
    stream.start();
    return () => stream.stop();
  }, []);

  return { state };
}
