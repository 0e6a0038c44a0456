/**
 * Operator preferences kept in this browser (localStorage): for now the stall
 * threshold, minutes without a report after which a session counts as stalled.
 */
import { useSyncExternalStore } from 'react';

const STALL_KEY = 'pureboot.stallMinutes';
export const DEFAULT_STALL_MINUTES = 5;
const listeners = new Set<() => void>();

export function stallMinutes(): number {
  const stored = Number(globalThis.localStorage?.getItem(STALL_KEY));
  return Number.isFinite(stored) && stored > 0 ? stored : DEFAULT_STALL_MINUTES;
}

export function setStallMinutes(minutes: number) {
  if (!Number.isFinite(minutes) || minutes <= 0) return;
  localStorage.setItem(STALL_KEY, String(minutes));
  for (const listener of listeners) listener();
}

/** The stall threshold in minutes, re-rendering when it is changed (on any page). */
export function useStallMinutes(): number {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stallMinutes,
  );
}
