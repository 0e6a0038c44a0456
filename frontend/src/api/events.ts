/**
 * The controller's WebSocket (/api/v1/ws), typed from the OpenAPI like the
 * REST types: `WsServerMessage` is every message the server sends, an event
 * (`WsEventMessage`: `type`, its `data`, `position`, `prev_position`,
 * `timestamp`) or housekeeping (`WsControlMessage`: `pong`, `resync`). A
 * reconnecting client resumes with `?from=<position>`; `prev_position` lets
 * it prove it missed nothing although positions have gaps.
 */
import type { components } from './schema';

type Schemas = components['schemas'];

/** An event about something in the system, told apart by `type`. */
export type WebSocketEvent = Schemas['WsEventMessage'];

/** `data` of a `clone.progress` event. */
export type CloneProgressData = Schemas['WsCloneProgress'];

/** Everything the server may send, including connection housekeeping. */
export type ServerMessage = Schemas['WsServerMessage'];

/** Parses one frame; anything that is not an object with a string `type` is dropped. */
export function parseServerMessage(raw: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type } = value as { type?: unknown };
  if (typeof type !== 'string') return null;
  if (type === 'pong' || type === 'resync') return value as ServerMessage;
  const { data } = value as { data?: unknown };
  if (typeof data !== 'object' || data === null) return null;
  return value as ServerMessage;
}
