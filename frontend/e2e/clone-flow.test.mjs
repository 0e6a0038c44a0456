// End to end: a direct clone from the New clone form to Completed, with the
// node callbacks driven through the API and every change arriving in the page
// over the WebSocket, never by reloading.
//
// Needs a running controller (fresh database) serving the built UI:
//   PUREBOOT_URL=http://127.0.0.1:18080 PUREBOOT_TOKEN=… node --test e2e/
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ADMIN_TOKEN,
  BASE_URL,
  api,
  apiOk,
  chooseDevice,
  chooseNode,
  disk500,
  launchBrowser,
  openPage,
  openSignedIn,
  progressValue,
  randomMac,
  registerNode,
  reloadMarker,
  reportDisks,
  screenshot,
  waitForLive,
  waitForProgressAtLeast,
  waitForStatus,
} from './helpers.mjs';

const run = Math.random().toString(36).slice(2, 8);
const SIZE = 10_000_000_000;

describe('direct clone, created in the UI and followed live', () => {
  let browser;
  let page;
  const pageErrors = [];
  const state = {}; // filled in step by step: nodes, sessionId, tokens

  /** Proves the page was not reloaded since markPage(). */
  const { mark: markPage, assertNotReloaded } = reloadMarker(() => page);

  const callback = (path, role, body) =>
    apiOk('POST', `/clone-sessions/${state.sessionId}/${path}`, {
      body,
      token: state.tokens?.[role] || ADMIN_TOKEN,
    });

  before(async () => {
    browser = await launchBrowser();
    // Reduced motion: the progress bar is drawn at its value, not mid-animation, in screenshots.
    ({ page } = await openPage(browser, pageErrors, { reducedMotion: 'reduce' }));
  });

  after(async () => {
    await browser?.close();
  });

  it('registers a source and a target node through the API; the source reports its disks', async () => {
    const source = await registerNode(`e2e-source-${run}`);
    state.source = source.node;
    state.target = (await registerNode(`e2e-target-${run}`)).node;
    assert.ok(state.source.id && state.target.id, 'node ids returned');
    // The source has been scanned (its disks are offered); the target has not (its device is typed).
    const stored = await reportDisks(state.source.id, source.token, [disk500()]);
    assert.deepEqual(
      stored.map((disk) => disk.device),
      ['/dev/sda'],
    );
  });

  it('shows the clone list, empty on a fresh database', async () => {
    await openSignedIn(page, '/clone', page.getByRole('heading', { name: 'Clone sessions' }));
    const existing = await apiOk('GET', '/clone-sessions?limit=1');
    if (existing.total === 0) {
      await page.getByText('No clone sessions yet — create one with New clone').waitFor();
    }
    await screenshot(page, '01-clone-list-empty');
  });

  it('creates a direct clone with the New clone form', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New clone' }).click();
    await page.getByRole('heading', { name: 'New clone' }).waitFor();
    await markPage();

    await page.getByLabel('Direct (peer to peer)').check();
    await chooseNode(page, 'source', state.source.id);
    // Offered from the source's reported disks, with their size and model.
    const sourceDevice = page.getByLabel('Source device', { exact: true });
    const tag = await sourceDevice.evaluate((element) => element.tagName);
    assert.equal(tag, 'SELECT', 'the source device is picked from its disks');
    const option = await sourceDevice.locator('option[value="/dev/sda"]').textContent();
    assert.match(option, /\/dev\/sda — 465.8 GiB Samsung SSD 870/);
    state.sourceDevice = await chooseDevice(page, 'source', '/dev/sda');
    assert.equal(state.sourceDevice, '/dev/sda');
    await chooseNode(page, 'target', state.target.id);
    await chooseDevice(page, 'target', '/dev/sda');
    await page.getByLabel('Resize mode', { exact: true }).selectOption('none');
    await page.getByLabel('Name (optional)', { exact: true }).fill(`e2e-clone-${run}`);
    await screenshot(page, '02-new-clone-form');

    // The review step comes first: what is copied where, nothing created yet.
    await page.getByRole('button', { name: 'Review', exact: true }).click();
    const review = page.getByRole('region', { name: 'Review the clone' });
    await review.getByText(/will be overwritten/).waitFor();
    await screenshot(page, '02b-new-clone-review');

    const [response] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/clone-sessions',
      ),
      page.getByRole('button', { name: 'Create clone session' }).click(),
    ]);
    const created = await response.json();
    assert.ok(response.ok(), `create answered ${response.status()}: ${JSON.stringify(created)}`);
    state.sessionId = created.data.id;
    state.tokens = created.data.node_tokens ?? null;

    await page.waitForURL(`${BASE_URL}/clone/${state.sessionId}`);
    await page.getByRole('heading', { name: `e2e-clone-${run}` }).waitFor();
    await waitForStatus(page, 'Pending');
    if (state.tokens?.source) {
      await page.getByRole('heading', { name: /Node tokens/ }).waitFor();
    }
    await assertNotReloaded();
  });

  it('turns Source Ready live when the source node calls back', async () => {
    await waitForLive(page);
    await callback('source-ready', 'source', { ip: '10.0.0.21', port: 9999, size_bytes: SIZE, device: state.sourceDevice });

    await waitForStatus(page, 'Source Ready');
    await page.getByText('10.0.0.21:9999', { exact: true }).waitFor();
    await assertNotReloaded();
  });

  it('moves the progress bar forward on each progress report, without a reload', async () => {
    let previous = await progressValue(page);
    for (const share of [0.25, 0.5, 0.75]) {
      await callback('progress', 'target', {
        role: 'target',
        bytes_transferred: SIZE * share,
        transfer_rate_bps: 120_000_000,
        status: 'transferring',
      });
      await waitForProgressAtLeast(page, share * 100);
      const now = await progressValue(page);
      assert.ok(now > previous, `progress went from ${previous} to ${now}`);
      previous = now;
    }
    await waitForStatus(page, 'Cloning');
    await page.getByText('114.4 MiB/s').first().waitFor();
    await assertNotReloaded();
    await screenshot(page, '03-clone-detail-cloning');
  });

  it('shows Completed live when the target reports completion', async () => {
    await callback('complete', 'target', {});

    await waitForStatus(page, 'Completed');
    await assertNotReloaded();
  });

  it('lists the session events in the timeline', async () => {
    const timeline = page.getByTestId('timeline');
    for (const kind of [/creat/i, /source.?ready/i, /complet/i]) {
      await timeline.getByRole('listitem').filter({ hasText: kind }).first().waitFor();
    }
    assert.ok((await timeline.getByRole('listitem').count()) >= 3, 'at least three events');
    await screenshot(page, '04-clone-detail-completed');
  });

  it('does not poll while nothing happens', async () => {
    await page.waitForLoadState('networkidle');
    const requests = [];
    const listener = (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/v1/clone-sessions')) requests.push(request.url());
    };
    page.on('request', listener);
    await page.waitForTimeout(3_000);
    page.off('request', listener);
    assert.deepEqual(requests, [], 'no API requests without events');
  });

  it('lists the completed session, also under its status filter', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clone sessions' }).click();
    const row = page.locator(`tr[data-session-id="${state.sessionId}"]`);
    await row.getByTestId('status-badge').filter({ hasText: 'Completed' }).waitFor();
    assert.match(await row.textContent(), new RegExp(`e2e-source-${run}.*e2e-target-${run}`));
    await screenshot(page, '05-clone-list');

    await page.getByLabel('Status', { exact: true }).selectOption('completed');
    await row.waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await row.waitFor({ state: 'detached' });
    await assertNotReloaded();
  });

  it('opens the detail page from a deep link (SPA fallback)', async () => {
    await page.goto(`${BASE_URL}/clone/${state.sessionId}`);
    await page.getByRole('heading', { name: `e2e-clone-${run}` }).waitFor();
    await waitForStatus(page, 'Completed');
    assert.equal(await progressValue(page), 100);
  });

  it('shows the nodes and a node’s disks page', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Nodes' }).click();
    await page.getByRole('cell', { name: `e2e-source-${run}`, exact: true }).waitFor();
    await page.getByRole('cell', { name: `e2e-target-${run}`, exact: true }).waitFor();
    await screenshot(page, '06-nodes');

    await page.getByRole('link', { name: `Disks of e2e-source-${run}` }).click();
    await page.getByRole('heading', { name: `Disks of e2e-source-${run}` }).waitFor();
    // The disk the source reported (the disks page itself is tested in node-disks.test.mjs).
    const card = page.locator('section.card[data-device="/dev/sda"]');
    await card.getByRole('heading', { name: '/dev/sda — 465.8 GiB' }).waitFor();
    assert.equal(await card.getByRole('list', { name: 'Partition layout of /dev/sda' }).locator('li[data-partition]').count(), 3);
  });

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors.map(String), []);
  });
});

describe('failure, cancellation and deletion, followed live', () => {
  let browser;
  let page;
  const pageErrors = [];
  const nodes = {};

  const { mark: markPage, assertNotReloaded } = reloadMarker(() => page);

  /** A direct session made through the API; returns its id and the node tokens when the controller issues them. */
  async function createSession(name) {
    const created = await apiOk('POST', '/clone-sessions', {
      body: { name, clone_mode: 'direct', source_node_id: nodes.source.id, target_node_id: nodes.target.id },
    });
    return { id: created.data.id, tokens: created.data.node_tokens ?? null };
  }

  const callback = (session, path, role, body) =>
    apiOk('POST', `/clone-sessions/${session.id}/${path}`, { body, token: session.tokens?.[role] || ADMIN_TOKEN });

  /** Opens the session's page, then brings it to Cloning through the callbacks while the page watches. */
  async function openCloning(session, name) {
    await openSignedIn(page, `/clone/${session.id}`, page.getByRole('heading', { name }));
    await waitForLive(page);
    await markPage();
    await callback(session, 'source-ready', 'source', { ip: '10.0.0.22', port: 9999, size_bytes: SIZE, device: '/dev/sda' });
    await callback(session, 'progress', 'target', { role: 'target', bytes_transferred: SIZE * 0.3, status: 'transferring' });
    await waitForStatus(page, 'Cloning');
    await waitForProgressAtLeast(page, 30);
  }

  before(async () => {
    browser = await launchBrowser();
    ({ page } = await openPage(browser, pageErrors, { reducedMotion: 'reduce' }));
    for (const role of ['source', 'target']) {
      nodes[role] = (
        await apiOk('POST', '/nodes', { body: { mac_address: randomMac(), hostname: `e2e-${role}2-${run}` } })
      ).data;
    }
  });

  after(async () => {
    await browser?.close();
  });

  it('shows a failure reported by a node, with its reason', async () => {
    const name = `e2e-failing-${run}`;
    const session = await createSession(name);
    await openCloning(session, name);

    const reason = 'read error on /dev/sda at sector 1234';
    await callback(session, 'failed', 'target', { error: reason });

    await waitForStatus(page, 'Failed');
    await page.getByRole('alert').filter({ hasText: reason }).waitFor();
    await page.getByTestId('timeline').getByRole('listitem').filter({ hasText: /fail/i }).first().waitFor();
    // A failed session can only be deleted, not cancelled.
    await page.getByRole('button', { name: 'Delete', exact: true }).waitFor();
    await assertNotReloaded();
    await screenshot(page, '08-clone-detail-failed');
  });

  it('cancels a cloning session from its page and stays on it', async () => {
    const name = `e2e-cancelled-${run}`;
    const session = await createSession(name);
    await openCloning(session, name);

    await page.getByRole('button', { name: 'Cancel clone', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this clone?' });
    await dialog.waitFor();
    await screenshot(page, '09-cancel-dialog');
    await dialog.getByRole('button', { name: 'Cancel clone', exact: true }).click();

    await waitForStatus(page, 'Cancelled');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(new URL(page.url()).pathname, `/clone/${session.id}`, 'a cancelled session keeps its page');
    const stored = await apiOk('GET', `/clone-sessions/${session.id}`);
    assert.equal(stored.data.status, 'cancelled');
    await assertNotReloaded();
    await screenshot(page, '10-clone-detail-cancelled');

    // Ended: the one action left is Delete, which removes it and returns to the list.
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this clone session?' });
    await confirm.getByRole('button', { name: 'Delete session', exact: true }).click();
    await page.waitForURL(`${BASE_URL}/clone`);
    await page.getByRole('heading', { name: 'Clone sessions' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    assert.equal(await page.locator(`tr[data-session-id="${session.id}"]`).count(), 0, 'the deleted session is listed');
    assert.equal((await api('GET', `/clone-sessions/${session.id}`)).status, 404);
    await assertNotReloaded();
  });

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors.map(String), []);
  });
});

// Not part of the browser flow: the API contract the UI relies on for 404s.
describe('API contract the UI relies on', () => {
  it('answers an unknown clone session with the JSON error envelope', async () => {
    const { status, body } = await api('GET', '/clone-sessions/00000000-0000-0000-0000-000000000000');
    assert.equal(status, 404);
    assert.equal(body?.success, false);
    assert.equal(typeof body?.error, 'string');
  });
});
