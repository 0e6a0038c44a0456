// End to end: golden images in the UI. Captures are driven through the real
// API with the node tokens it hands out (staging-status, source-complete: what
// the source agent calls), so the images are the controller's own; the page
// follows each step over the WebSocket, never by reloading.
//
// Needs a running controller (fresh database) serving the built UI:
//   PUREBOOT_URL=http://127.0.0.1:18080 PUREBOOT_TOKEN=… node --test e2e/
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  BASE_URL,
  MIB,
  api,
  apiOk,
  launchBrowser,
  openPage,
  openSignedIn,
  registerNode,
  reloadMarker,
  screenshot,
  waitForLive,
} from './helpers.mjs';

const run = Math.random().toString(36).slice(2, 8);
const SIZE = 8 * MIB;
const hex = () => randomBytes(32).toString('hex');

describe('images: captured through the API, restored, deleted, followed live', () => {
  let browser;
  let page;
  const pageErrors = [];
  const lab = {}; // backend, source and target nodes
  const images = {}; // by name: { session, tokens, digest, id }

  const { mark: markPage, assertNotReloaded } = reloadMarker(() => page);
  const row = (image) => page.locator(`tr[data-image-id="${image.id}"]`);
  const capture = (image) => page.locator(`li[data-session-id="${image.session}"]`);

  /** A capture session of `name` on the lab's nfs backend, as an operator creates it. */
  async function startCapture(name) {
    const created = await apiOk('POST', '/clone-sessions', {
      body: { clone_mode: 'staged', source_node_id: lab.source.id, staging_backend_id: lab.backend, image_name: name },
    });
    assert.ok(created.data.node_tokens?.source, 'the create response carries the source node token');
    images[name] = { session: created.data.id, tokens: created.data.node_tokens, digest: hex() };
    return images[name];
  }

  /** What the source agent reports, with its own token. */
  const sourceCalls = (image, path, body) =>
    apiOk('POST', `/clone-sessions/${image.session}/${path}`, { body, token: image.tokens.source });

  async function completeCapture(image) {
    await sourceCalls(image, 'source-complete', {
      size_bytes: SIZE,
      chunk_size_bytes: 4 * MIB,
      chunks: 2,
      digest: image.digest,
      manifest_digest: hex(),
      bytes_uploaded: 1000,
    });
    const session = await apiOk('GET', `/clone-sessions/${image.session}`);
    image.id = session.data.image_id;
    assert.ok(image.id, `the capture recorded its image: ${JSON.stringify(session.data)}`);
  }

  /** A capture taken to ready in one go (for the images this test does not watch being made). */
  async function readyImage(name) {
    const image = await startCapture(name);
    await sourceCalls(image, 'staging-status', { role: 'source', status: 'provisioned' });
    await sourceCalls(image, 'staging-status', { role: 'source', status: 'uploading', size_bytes: SIZE });
    await completeCapture(image);
    return image;
  }

  before(async () => {
    browser = await launchBrowser();
    ({ page } = await openPage(browser, pageErrors));
    const backend = await apiOk('POST', '/storage/backends', {
      body: { name: `e2e-nfs-${run}`, type: 'nfs', config: { server: '10.0.0.2', export: '/srv/images' } },
    });
    lab.backend = backend.data.id;
    lab.source = (await registerNode(`e2e-golden-${run}`)).node;
    lab.target = (await registerNode(`e2e-restore-${run}`)).node;
  });

  after(async () => {
    await browser?.close();
  });

  it('shows a capture in progress with its staging status, then the image it becomes, live', async () => {
    const golden = await startCapture(`golden-${run}`);
    await openSignedIn(page, '/images', page.getByRole('heading', { name: 'Images', exact: true }));
    await waitForLive(page);
    await markPage();
    await capture(golden).getByTestId('staging-status').filter({ hasText: 'pending' }).waitFor();

    await sourceCalls(golden, 'staging-status', { role: 'source', status: 'provisioned' });
    await capture(golden).getByTestId('staging-status').filter({ hasText: 'provisioned' }).waitFor();
    await sourceCalls(golden, 'staging-status', { role: 'source', status: 'uploading', size_bytes: SIZE });
    await capture(golden).getByTestId('staging-status').filter({ hasText: 'uploading' }).waitFor();
    await screenshot(page, 'images-01-capture-uploading');

    await completeCapture(golden);
    await row(golden).waitFor();
    await capture(golden).waitFor({ state: 'detached' });
    await assertNotReloaded();
  });

  it('lists the image with its size, digest and backend', async () => {
    const golden = images[`golden-${run}`];
    await assert.doesNotReject(row(golden).getByText('8.0 MiB').waitFor());
    const digest = row(golden).locator('td[data-label="Digest"] code');
    assert.equal(await digest.getAttribute('title'), golden.digest);
    assert.equal(await digest.textContent(), `${golden.digest.slice(0, 12)}…`);
    assert.equal(
      (await row(golden).locator('td[data-label="Backend"]').textContent()).trim(),
      `e2e-nfs-${run} (nfs)`,
    );
    assert.match(await row(golden).locator('td[data-label="Source"]').textContent(), new RegExp(`e2e-golden-${run}`));
  });

  it('narrows the list by name and by source node, and says when nothing matches', async () => {
    const spare = await readyImage(`spare-${run}`);
    await row(spare).waitFor();
    await page.getByLabel('Name', { exact: true }).fill(`SPARE-${run}`);
    await row(images[`golden-${run}`]).waitFor({ state: 'detached' });
    await row(spare).waitFor();
    assert.match(page.url(), new RegExp(`name=SPARE-${run}`), 'the filter is in the URL');
    await page.getByLabel('Name', { exact: true }).fill(`no-such-image-${run}`);
    await page.getByText('No images match these filters.').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('');
    await page.getByLabel('Source node', { exact: true }).selectOption(lab.target.id);
    await page.getByText('No images match these filters.').waitFor();
    await page.getByLabel('Source node', { exact: true }).selectOption(lab.source.id);
    await row(spare).waitFor();
    await row(images[`golden-${run}`]).waitFor();
    await page.getByLabel('Source node', { exact: true }).selectOption('');
  });

  it('restores an image onto a chosen target node and lands on the new session', async () => {
    const golden = images[`golden-${run}`];
    await row(golden).getByRole('button', { name: 'Restore…' }).click();
    const form = page.getByRole('form', { name: `Restore golden-${run}` });
    await form.getByLabel(`e2e-restore-${run}`).check();
    await form.getByLabel('Target device').fill('/dev/sdb');
    await screenshot(page, 'images-02-restore-form');
    await form.getByRole('button', { name: 'Start 1 restore' }).click();

    await page.waitForURL(new RegExp(`${BASE_URL}/clone/[0-9a-f-]{36}$`));
    golden.restore = new URL(page.url()).pathname.split('/').pop();
    await page.getByRole('heading', { name: /Node tokens/ }).waitFor();
    const { data: session } = await apiOk('GET', `/clone-sessions/${golden.restore}`);
    assert.equal(session.image_id, golden.id);
    assert.equal(session.target_node_id, lab.target.id);
    assert.equal(session.target_device, '/dev/sdb');
    assert.equal(session.staging_status, 'ready');
  });

  it("refuses to delete an image a session uses, with the server's reason, and keeps it", async () => {
    const golden = images[`golden-${run}`];
    await openSignedIn(page, '/images', page.getByRole('heading', { name: 'Images', exact: true }));
    await waitForLive(page);
    await row(golden).getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete image golden-${run}?` });
    await dialog.getByRole('button', { name: 'Delete image' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const refusal = await api('DELETE', `/images/${golden.id}`);
    assert.equal(refusal.status, 409, JSON.stringify(refusal.body));
    assert.equal(await alert.textContent(), refusal.body.detail, 'the server’s own words');
    assert.match(refusal.body.detail, new RegExp(golden.restore));
    await screenshot(page, 'images-03-delete-refused');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await row(golden).waitFor();
    assert.equal((await api('GET', `/images/${golden.id}`)).status, 200, 'nothing changed');
  });

  it('deletes an unused image from the page, and one deleted elsewhere leaves the list live', async () => {
    const spare = images[`spare-${run}`];
    await markPage();
    await row(spare).getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete image spare-${run}?` });
    await dialog.getByRole('button', { name: 'Delete image' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row(spare).waitFor({ state: 'detached' });
    // It is being deleted: no longer listed or restorable, its files removed by
    // the controller's sweep (this controller has no mount of the export, so
    // it stays in cleanup; tests/api/staged_image_cleanup.rs follows a sweep).
    const deleting = await api('GET', `/images/${spare.id}`);
    assert.equal(deleting.body.data?.status, 'cleanup', JSON.stringify(deleting.body));

    // Another operator deletes one: only the WebSocket's image.cleanup_started can tell this page.
    const other = await readyImage(`other-${run}`);
    await row(other).waitFor();
    await apiOk('DELETE', `/images/${other.id}`);
    await row(other).waitFor({ state: 'detached' });
    await row(images[`golden-${run}`]).waitFor();
    await assertNotReloaded();
    await screenshot(page, 'images-04-list');
  });

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors.map(String), []);
  });
});
