/**
 * The API token of this browser tab and whether the server wants one.
 *
 * The token lives in sessionStorage so it survives reloads (deep links) but not
 * the browser session. Any 401 flips `needsSignIn`; the sign-in screen
 * subscribes to it with useSyncExternalStore.
 */

export const TOKEN_KEY = 'pureboot.token';

export interface AuthState {
  needsSignIn: boolean;
  /** True when the 401 came although a token was sent: it was rejected. */
  tokenRejected: boolean;
}

let state: AuthState = { needsSignIn: false, tokenRejected: false };
const listeners = new Set<() => void>();

function publish(next: AuthState) {
  state = next;
  listeners.forEach((listener) => listener());
}

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || null;
  } catch {
    return null; // storage disabled: behave as signed out
  }
}

export function signIn(token: string) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  publish({ needsSignIn: false, tokenRejected: false });
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  publish({ needsSignIn: true, tokenRejected: false });
}

/** Called by the API client whenever the server answers 401. */
export function reportUnauthorized() {
  if (state.needsSignIn) return;
  publish({ needsSignIn: true, tokenRejected: getToken() !== null });
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getAuthState(): AuthState {
  return state;
}
