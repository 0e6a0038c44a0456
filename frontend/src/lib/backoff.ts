/**
 * Reconnect delays for the WebSocket: 0.5 s doubling up to 10 s, each drawn
 * from the upper half of its step so that many tabs reconnecting after a
 * controller restart do not arrive in lock-step.
 */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 10_000;

/** Delay before reconnect attempt `attempt` (0 for the first retry). */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}
