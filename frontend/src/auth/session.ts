/**
 * The API token of this browser tab and whether the server accepts us.
 *
 * The token lives in sessionStorage so it survives reloads (deep links) but not
 * the browser session. The tab starts `checking`, and checks again after every
 * sign-in: nothing but the sign-in screen's probe talks to the controller until
 * it has answered (see access.ts), so a page never shows (nor asks for data, nor
 * opens the event stream) only to be replaced by the sign-in screen a moment
 * later. A 401 to a request sent with the current token flips `needsSignIn`; the
 * gate subscribes with useSyncExternalStore.
 */

export const TOKEN_KEY = 'pureboot.token';

export interface AuthState {
  /** The controller has not yet answered whether it accepts the current token (or none). */
  checking: boolean;
  needsSignIn: boolean;
  /** True when the 401 came although a token was sent: it was rejected. */
  tokenRejected: boolean;
}

let state: AuthState = { checking: true, needsSignIn: false, tokenRejected: false };
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

/** Keeps `token` and checks it with the controller before the app shows. */
export function signIn(token: string) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  publish({ checking: true, needsSignIn: false, tokenRejected: false });
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  publish({ checking: false, needsSignIn: true, tokenRejected: false });
}

/**
 * Called by the API client whenever the server answers 401, with the token the
 * request carried (null: none). An answer to a request sent with another token
 * than the current one (sent before a sign-in) says nothing about the current
 * token and is ignored.
 */
export function reportUnauthorized(sentToken: string | null) {
  const token = getToken();
  if (sentToken !== token || state.needsSignIn) return;
  publish({ checking: false, needsSignIn: true, tokenRejected: token !== null });
}

/**
 * The controller answered the check of `checkedToken` with anything but 401
 * (which reportUnauthorized handles). A check of a token since replaced ends nothing.
 */
export function accessChecked(checkedToken: string | null) {
  if (state.checking && checkedToken === getToken()) publish({ ...state, checking: false });
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getAuthState(): AuthState {
  return state;
}
