import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Session = typeof import('./session');
type Access = typeof import('./access');

/** A controller that wants `accepted` (null: auth off), and the Authorization headers it was sent. */
function controller(accepted: string | null) {
  const sent: (string | null)[] = [];
  const fetch = vi.fn(async (_url: string, init?: RequestInit) => {
    const authorization = (init?.headers as Record<string, string> | undefined)?.Authorization ?? null;
    sent.push(authorization);
    const ok = accepted === null || authorization === `Bearer ${accepted}`;
    return new Response(ok ? '{"success":true,"data":[],"total":0}' : '{"error":"unauthorized"}', {
      status: ok ? 200 : 401,
    });
  });
  return { fetch, sent };
}

describe('the sign-in gate', () => {
  let session: Session;
  let access: Access;

  beforeEach(async () => {
    const storage = new Map<string, string>();
    vi.stubGlobal('sessionStorage', {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => storage.set(key, value),
      removeItem: (key: string) => storage.delete(key),
    });
    vi.resetModules(); // the session store is per tab: a fresh one per test
    session = await import('./session');
    access = await import('./access');
  });

  afterEach(() => vi.unstubAllGlobals());

  it('shows nothing but the check until the controller answers, then the sign-in screen', async () => {
    const { fetch, sent } = controller('good');
    vi.stubGlobal('fetch', fetch);
    expect(session.getAuthState()).toEqual({ checking: true, needsSignIn: false, tokenRejected: false });
    await access.checkAccess();
    expect(sent).toEqual([null]);
    expect(session.getAuthState()).toEqual({ checking: false, needsSignIn: true, tokenRejected: false });
  });

  it('checks a new token before the app shows, and shows it once accepted', async () => {
    const { fetch, sent } = controller('good');
    vi.stubGlobal('fetch', fetch);
    await access.checkAccess();
    session.signIn(' good ');
    expect(session.getAuthState()).toEqual({ checking: true, needsSignIn: false, tokenRejected: false });
    await access.checkAccess();
    expect(sent).toEqual([null, 'Bearer good']);
    expect(session.getAuthState()).toEqual({ checking: false, needsSignIn: false, tokenRejected: false });
  });

  it('returns to the sign-in screen, saying so, when the controller rejects the token', async () => {
    vi.stubGlobal('fetch', controller('good').fetch);
    session.signIn('bad');
    await access.checkAccess();
    expect(session.getAuthState()).toEqual({ checking: false, needsSignIn: true, tokenRejected: true });
  });

  it('shows the app without a token when auth is off, and when the controller cannot be reached', async () => {
    vi.stubGlobal('fetch', controller(null).fetch);
    await access.checkAccess();
    expect(session.getAuthState()).toEqual({ checking: false, needsSignIn: false, tokenRejected: false });

    vi.resetModules();
    session = await import('./session');
    access = await import('./access');
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('connection refused')));
    await access.checkAccess();
    expect(session.getAuthState()).toEqual({ checking: false, needsSignIn: false, tokenRejected: false });
  });

  it('ignores a 401 to a request sent before the sign-in, answered after it', async () => {
    let answerStale: (response: Response) => void = () => {};
    const { fetch } = controller('good');
    vi.stubGlobal('fetch', fetch);
    fetch.mockImplementationOnce(() => new Promise<Response>((resolve) => (answerStale = resolve)));
    const { apiClient } = await import('../api/client');
    const stale = apiClient.get('/clone-sessions').catch(() => {}); // sent with no token, still unanswered
    await access.checkAccess(); // 401: the sign-in screen
    session.signIn('good');
    await access.checkAccess();
    answerStale(new Response('{"error":"unauthorized"}', { status: 401 }));
    await stale;
    expect(session.getAuthState()).toEqual({ checking: false, needsSignIn: false, tokenRejected: false });
  });

  it('lets a check of a replaced token end nothing', async () => {
    let answerFirst: (response: Response) => void = () => {};
    const { fetch } = controller(null);
    vi.stubGlobal('fetch', fetch);
    fetch.mockImplementationOnce(() => new Promise<Response>((resolve) => (answerFirst = resolve)));
    const first = access.checkAccess(); // with no token, unanswered
    session.signIn('other');
    answerFirst(new Response('{"success":true,"data":[],"total":0}', { status: 200 }));
    await first;
    expect(session.getAuthState().checking).toBe(true);
    await access.checkAccess();
    expect(session.getAuthState().checking).toBe(false);
  });
});
