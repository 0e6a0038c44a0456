/**
 * The sign-in gate's question to the controller: does it answer us with the
 * tab's token (or with none, when auth is off)? Asked once when the tab starts
 * and again after every sign-in, before the app may show (see session.ts).
 */
import { apiClient } from '../api/client';
import { accessChecked, getToken } from './session';

/** The cheapest read a viewer may make: one node at most. */
export const ACCESS_PROBE_PATH = '/nodes?limit=1';

/**
 * Asks once, then settles the check: a 401 has already sent the tab to the
 * sign-in screen through the API client; any other failure (controller down,
 * 5xx) lets the app show, whose pages report it and whose event stream retries.
 */
export async function checkAccess(): Promise<void> {
  const token = getToken();
  try {
    await apiClient.get(ACCESS_PROBE_PATH);
  } catch {
    // handled as described above
  }
  accessChecked(token);
}
