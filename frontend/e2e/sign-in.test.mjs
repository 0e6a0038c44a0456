// Signing in on a slow controller: a page shows only once the controller has accepted the tab's token
// (or none), never before a 401 replaces it with the sign-in screen; signed in, the console is live
// at once. Every answer under /api/v1 is held back, as a loaded controller would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, BASE_URL, launchBrowser, openPage } from './helpers.mjs';

const DELAY_MS = 1_000;

describe('signing in on a slow controller', { skip: !ADMIN_TOKEN && 'auth is off (no PUREBOOT_TOKEN)' }, () => {
  let browser;
  let page;
  const pageErrors = [];
  // What the page showed, in order: the heading, the token field, the live indicator.
  const seen = [];

  before(async () => {
    browser = await launchBrowser();
    ({ page } = await openPage(browser, pageErrors));
    await page.route(/\/api\/v1\//, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
      await route.continue().catch(() => {}); // the page may have moved on
    });
    await page.exposeFunction('__e2eSeen', (what) => seen.push(what));
    await page.addInitScript(() => {
      const watch = () => {
        const shown = {
          page: () => [...document.querySelectorAll('h1')].some((h) => h.textContent === 'Clone sessions'),
          'sign-in': () => document.getElementById('api-token') !== null,
          live: () => document.querySelector('[data-connection="open"]') !== null,
        };
        const reported = new Set();
        new MutationObserver(() => {
          for (const [what, isShown] of Object.entries(shown)) {
            if (!reported.has(what) && isShown()) reported.add(what), window.__e2eSeen(what);
          }
        }).observe(document, { childList: true, subtree: true, attributes: true });
      };
      watch();
    });
  });

  after(async () => {
    await browser?.close();
  });

  it('shows the sign-in screen, not the page, until signed in; then the page, live within one round trip', async () => {
    await page.goto(`${BASE_URL}/clone`);
    const tokenInput = page.getByLabel('API token', { exact: true });
    await tokenInput.waitFor();
    assert.deepEqual(seen, ['sign-in'], 'the page showed before the controller had answered');
    await tokenInput.fill(ADMIN_TOKEN);
    const signedInAt = Date.now();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-connection="open"]').waitFor();
    assert.deepEqual(seen, ['sign-in', 'page', 'live']);
    // The check, then the socket: two held-back round trips and no back-off (the first retry alone
    // would wait 0.25–0.5 s more, later ones up to 10 s).
    const took = Date.now() - signedInAt;
    assert.ok(took < 2 * DELAY_MS + 5_000, `live ${took} ms after signing in`);
  });

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors.map(String), []);
  });
});
