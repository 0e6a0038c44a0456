/**
 * The event stream's state for every page: whether live figures are current,
 * and since when they are not (the time the connection was lost).
 */
import { createContext, useContext } from 'react';
import type { ConnectionState } from '../lib/eventStream';

export interface LiveState {
  state: ConnectionState;
  /** When the stream stopped being connected; null while it is open. */
  staleSince: Date | null;
}

export const LiveContext = createContext<LiveState>({ state: 'open', staleSince: null });

export function useLive(): LiveState {
  return useContext(LiveContext);
}
