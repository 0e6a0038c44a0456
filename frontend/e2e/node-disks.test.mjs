// End to end: a node's disks page with real data. The node registers and
// reports its scan through the API with its own token; the operator queues a
// resize in the page, is refused an impossible one with the controller's
// reason, removes and applies operations; the node then runs the operation
// and rescans. Every change reaches the page over the WebSocket or from the
// page's own requests, never by reloading.
//
// Needs a running controller (fresh database) serving the built UI:
//   PUREBOOT_URL=http://127.0.0.1:18080 PUREBOOT_TOKEN=… node --test e2e/
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GIB,
  MIB,
  apiOk,
  disk500,
  launchBrowser,
  openPage,
  openSignedIn,
  registerNode,
  reloadMarker,
  reportDisks,
  screenshot,
  waitForLive,
} from './helpers.mjs';

const run = Math.random().toString(36).slice(2, 8);
const DEVICE = '/dev/sda';
const DEVICE_PATH = encodeURIComponent(DEVICE);

/** The page's rendering of a byte count ("41.8 GiB", "6.0 MiB"), to compare with what the API reports. */
const binary = (bytes) => (bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`);

describe('a node’s disks: reported, resized, refused and applied, followed live', () => {
  let browser;
  let page;
  const pageErrors = [];
  const state = {}; // node, token, hostname, operations by name

  const { mark: markPage, assertNotReloaded } = reloadMarker(() => page);

  const operationsPath = () => `/nodes/${state.node.id}/disks/${DEVICE_PATH}/operations`;
  const storedOperations = async () => (await apiOk('GET', operationsPath())).data;
  /** A node callback, with the node's own token. */
  const asNode = (method, path, body) => apiOk(method, `/nodes/${state.node.id}${path}`, { body, token: state.token });

  const card = () => page.locator(`section.card[data-device="${DEVICE}"]`);
  const bar = () => card().getByRole('list', { name: `Partition layout of ${DEVICE}` });
  const partitionRow = (number) =>
    card().getByRole('region', { name: `Partitions of ${DEVICE}` }).locator(`tr[data-partition="${number}"]`);
  const operationsTable = () => card().getByRole('region', { name: `Operations on ${DEVICE}` });
  const operationRow = (id) => operationsTable().locator(`tr[data-operation-id="${id}"]`);
  const resizeForm = () => card().getByRole('form', { name: `Resize a partition of ${DEVICE}` });

  /** The texts of a row's cells. */
  const cells = (row) => row.locator('td').allInnerTexts();

  before(async () => {
    browser = await launchBrowser();
    ({ page } = await openPage(browser, pageErrors, { reducedMotion: 'reduce' }));
  });

  after(async () => {
    await browser?.close();
  });

  it('registers a node that reports a 500 GB disk with its node token', async () => {
    state.hostname = `e2e-disks-${run}`;
    ({ node: state.node, token: state.token } = await registerNode(state.hostname));
    assert.match(state.token, /^pbk_/, 'a node token');

    const stored = await reportDisks(state.node.id, state.token, [disk500()]);
    assert.equal(stored.length, 1);
    assert.equal(stored[0].device, DEVICE);
    assert.deepEqual(
      stored[0].partitions.map((p) => [p.number, p.filesystem, p.can_shrink]),
      [
        [1, 'fat32', true], // 6 MiB used of 512 MiB: a partition under 10 GiB keeps 10 % free
        [2, 'ext4', true],
        [3, 'xfs', false],
      ],
    );
    state.disk = stored[0];
  });

  it('draws the disk to scale and lists its partitions', async () => {
    const heading = page.getByRole('heading', { name: `Disks of ${state.hostname}` });
    await openSignedIn(page, `/nodes/${state.node.id}/disks`, heading);
    await waitForLive(page);
    await markPage();

    const disk = state.disk;
    await card().getByRole('heading', { name: `${DEVICE} — ${binary(disk.size_bytes)}` }).waitFor();
    assert.match(await card().textContent(), /Samsung SSD 870 EVO 500GB, serial S6PXNS0T412345A · partition table GPT/);
    // A report without sector sizes reads as 512-byte sectors.
    assert.match(await card().textContent(), /· sectors 512 B logical, 512 B physical ·/);
    await page.locator('[data-scan-status="done"]').waitFor();

    // The bar: one segment per partition saying what it is, and the unallocated end of the disk.
    for (const p of disk.partitions) {
      const caption = [`#${p.number}`, p.type, p.filesystem, p.label].join(' ');
      assert.equal(
        await bar().locator(`li[data-partition="${p.number}"]`).innerText(),
        `${caption}, ${binary(p.size_bytes)}, ${p.used_percent.toFixed(1)}% used`,
      );
    }
    assert.match(await bar().locator('li.segment-free').innerText(), /^Free space, 65\.\d GiB$/);
    // …to scale: the 300 GiB data partition is three times as wide as the 100 GiB root.
    const width = async (number) => (await bar().locator(`li[data-partition="${number}"]`).boundingBox()).width;
    const ratio = (await width(3)) / (await width(2));
    assert.ok(ratio > 2.8 && ratio < 3.2, `data/root width ratio ${ratio}`);

    // The table: sizes in binary units (the API's size_human says GB for GiB), usage and the shrink limits the resize form relies on.
    for (const p of disk.partitions) {
      const row = await cells(partitionRow(p.number));
      const [number, type, filesystem, label, mountpoint, size, used, , canShrink, minimum] = row;
      assert.deepEqual(
        [number, type, filesystem, label, mountpoint],
        [String(p.number), p.type, p.filesystem, p.label, p.mountpoint],
      );
      assert.equal(size, binary(p.size_bytes));
      assert.equal(used, `${p.used_percent.toFixed(1)}% (${binary(p.used_bytes)})`);
      assert.equal(canShrink, p.can_shrink ? 'yes' : 'no');
      assert.equal(minimum, p.min_size_bytes === null || p.min_size_bytes === undefined ? '—' : binary(p.min_size_bytes));
    }
    await card().getByText(`No operations for ${DEVICE} yet.`).waitFor();
    await assertNotReloaded();
  });

  it('queues a resize through the form and lists it', async () => {
    const form = resizeForm();
    await form.getByLabel('Partition', { exact: true }).selectOption('2');
    await form.getByText(/Can shrink to 41\.8 GiB; can grow to 100\.0 GiB/).waitFor();
    await form.getByLabel('New size', { exact: true }).fill('60');
    await form.getByRole('button', { name: 'Queue resize' }).click();

    await form.getByRole('status').filter({ hasText: 'Queued as operation #1.' }).waitFor();
    const [queued] = await storedOperations();
    assert.deepEqual(queued.params, { partition: 2, new_size_bytes: 60 * GIB });
    assert.equal(queued.applied_at ?? null, null);
    state.resize = queued;

    const row = operationRow(queued.id);
    await row.and(page.locator('[data-stage="queued"]')).waitFor();
    assert.deepEqual((await cells(row)).slice(0, 5), ['1', 'Resize', 'partition 2 → 60.0 GiB', 'Queued', 'not yet']);
    await row.getByRole('button', { name: 'Remove operation 1' }).waitFor();
    await card().getByRole('button', { name: `Apply 1 operation to ${DEVICE}` }).waitFor();
    await assertNotReloaded();
  });

  it('shows the controller’s reason when a resize cannot fit (shrinking xfs)', async () => {
    const form = resizeForm();
    await form.getByLabel('Partition', { exact: true }).selectOption('3');
    await form.getByText(/Cannot be shrunk \(xfs\)/).waitFor();
    await form.getByLabel('New size', { exact: true }).fill('200');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/v1${operationsPath()}`),
      form.getByRole('button', { name: 'Queue resize' }).click(),
    ]);
    assert.equal(response.status(), 409);
    const refusal = await response.json();
    assert.match(refusal.detail, /xfs filesystems cannot be shrunk/);

    const alert = form.getByRole('alert');
    await alert.filter({ hasText: refusal.detail }).waitFor();
    assert.equal(await alert.innerText(), `Refused by the controller: ${refusal.detail}`);
    // Nothing was queued: the queue still holds the one resize.
    assert.equal((await storedOperations()).length, 1);
    assert.equal(await operationsTable().locator('tbody tr').count(), 1);
    await assertNotReloaded();
    await screenshot(page, '11-node-disks-resize-refused');
  });

  it('lists an operation queued elsewhere as it happens, and removes it', async () => {
    // Another operator grows the data partition into the free space at the end.
    const { data: grow } = await apiOk('POST', operationsPath(), {
      body: { operation: 'resize', params: { partition: 3, new_size_bytes: 320 * GIB } },
    });
    const row = operationRow(grow.id);
    await row.waitFor(); // arrives as partition.operation_queued
    assert.deepEqual((await cells(row)).slice(0, 4), ['2', 'Resize', 'partition 3 → 320.0 GiB', 'Queued']);
    await card().getByRole('button', { name: `Apply 2 operations to ${DEVICE}` }).waitFor();

    await row.getByRole('button', { name: 'Remove operation 2' }).click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual((await storedOperations()).map((op) => op.id), [state.resize.id]);
    await card().getByRole('button', { name: `Apply 1 operation to ${DEVICE}` }).waitFor();
    await assertNotReloaded();
  });

  it('applies the queue after confirmation and marks the operation applied', async () => {
    await card().getByRole('button', { name: `Apply 1 operation to ${DEVICE}` }).click();
    const dialog = page.getByRole('dialog', { name: `Apply operations to ${DEVICE}?` });
    await dialog.getByRole('listitem').filter({ hasText: '#1 Resize partition 2 → 60.0 GiB' }).waitFor();
    await screenshot(page, '12-node-disks-apply-confirm');
    await dialog.getByRole('button', { name: 'Apply 1 operation', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });

    const row = operationRow(state.resize.id);
    await row.and(page.locator('[data-stage="applied"]')).waitFor();
    const [, , , status, applied] = await cells(row);
    assert.equal(status, 'Applied, waiting for the node');
    assert.notEqual(applied, 'not yet');
    assert.equal(await row.getByRole('button').count(), 0, 'an applied operation cannot be removed');
    assert.ok(await card().getByRole('button', { name: `Nothing to apply to ${DEVICE}` }).isDisabled());
    const [stored] = await storedOperations();
    assert.ok(stored.applied_at, 'the controller recorded it as applied');
    assert.equal(stored.status, 'pending');
    await assertNotReloaded();
    await screenshot(page, '07-node-disks');
  });

  it('follows the node running the resize and reporting its new scan', async () => {
    const handed = (await asNode('GET', '/partition-operations')).data;
    assert.deepEqual(handed.map((op) => op.id), [state.resize.id], 'the node is handed the applied operation');

    const row = operationRow(state.resize.id);
    await asNode('POST', `/partition-operations/${state.resize.id}/status`, { status: 'running' });
    await row.and(page.locator('[data-stage="running"]')).waitFor();
    await asNode('POST', `/partition-operations/${state.resize.id}/status`, { status: 'completed' });
    await row.and(page.locator('[data-stage="completed"]')).waitFor();

    // The operator asks for a rescan; the node reports root at its new size.
    await page.getByRole('button', { name: 'Request scan' }).click();
    await page.locator('[data-scan-status="pending"]').waitFor();
    const [rescanned] = await reportDisks(state.node.id, state.token, [disk500(60 * GIB)]);
    const root = rescanned.partitions.find((p) => p.number === 2);
    await page.locator('[data-scan-status="done"]').waitFor();
    await bar().locator('li[data-partition="2"]').filter({ hasText: `, ${binary(root.size_bytes)}, ` }).waitFor();
    assert.equal((await cells(partitionRow(2)))[5], binary(root.size_bytes));
    // The 40 GiB the root gave up now lies free between it and the data partition.
    assert.deepEqual(
      await bar().locator('li').evaluateAll((items) => items.map((item) => item.dataset.partition ?? 'free')),
      ['1', '2', 'free', '3', 'free'],
    );
    await assertNotReloaded();
    await screenshot(page, '13-node-disks-resized');
  });

  it('queues every other operation kind through one form, with the controller’s answer to each', async () => {
    const form = card().getByRole('form', { name: `Queue an operation on ${DEVICE}` });
    const disk = (await apiOk('GET', `/nodes/${state.node.id}/disks/${DEVICE_PATH}`)).data;
    const root = disk.partitions.find((p) => p.number === 2);
    const before = (await storedOperations()).length;
    const queue = async (kind, fill) => {
      await form.getByLabel('Operation', { exact: true }).selectOption(kind);
      await fill();
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/v1${operationsPath()}`),
        form.getByRole('button', { name: /^Queue / }).click(),
      ]);
      return response;
    };
    const queued = async (response) => {
      assert.equal(response.status(), 200, await response.text());
      const { data } = await response.json();
      await form.getByRole('status').filter({ hasText: `Queued as operation #${data.sequence}.` }).waitFor();
      await operationRow(data.id).waitFor();
      return data;
    };

    // Create: 10 GiB in the 40 GiB the root gave up.
    const startMiB = (root.start_bytes + root.size_bytes) / MIB;
    const created = await queued(
      await queue('create', async () => {
        await form.getByLabel('Unit', { exact: true }).selectOption('MiB');
        await form.getByLabel('Start', { exact: true }).fill(String(startMiB));
        await form.getByLabel('Size (MiB)', { exact: true }).fill(String(10 * 1024));
        await form.getByLabel('Filesystem', { exact: true }).selectOption('ext4');
        await form.getByLabel('Label', { exact: true }).fill('scratch');
      }),
    );
    assert.deepEqual(created.params, { start_bytes: startMiB * MIB, size_bytes: 10 * GIB, type: 'linux', filesystem: 'ext4', label: 'scratch' });
    const flag = await queued(
      await queue('set_flag', async () => {
        await form.getByLabel('Partition', { exact: true }).selectOption('1');
        await form.getByLabel('Flag', { exact: true }).fill('esp');
      }),
    );
    assert.deepEqual(flag.params, { partition: 1, flag: 'esp', value: true });
    const formatted = await queued(
      await queue('format', async () => {
        await form.getByLabel('Partition', { exact: true }).selectOption('3');
        await form.getByLabel('Filesystem', { exact: true }).selectOption('xfs');
      }),
    );
    assert.deepEqual(formatted.params, { partition: 3, filesystem: 'xfs' }, 'no label carried over from the create');
    // Move: onto the root partition, which the plan check refuses with its reason.
    const refused = await queue('move', async () => {
      await form.getByLabel('Partition', { exact: true }).selectOption('3');
      await form.getByLabel('Unit', { exact: true }).selectOption('MiB');
      await form.getByLabel('New start', { exact: true }).fill(String(root.start_bytes / MIB));
    });
    assert.equal(refused.status(), 409, await refused.text());
    const { detail } = await refused.json();
    await form.getByRole('alert').filter({ hasText: `Refused by the controller: ${detail}` }).waitFor();
    // A flag the tool does not know: the 422 is shown at its field.
    const unknown = await queue('set_flag', async () => {
      await form.getByLabel('Flag', { exact: true }).fill('sparkly');
    });
    assert.equal(unknown.status(), 422);
    await form.locator('.field-invalid').filter({ hasText: /not a partition flag/ }).waitFor();
    const deleted = await queued(
      await queue('delete', async () => {
        await form.getByLabel('Partition', { exact: true }).selectOption('1');
      }),
    );
    assert.deepEqual(deleted.params, { partition: 1 });
    assert.equal((await storedOperations()).length, before + 4, 'four queued, the refused two not');
    await assertNotReloaded();
    await screenshot(page, '14-node-disks-operations');
  });

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors.map(String), []);
  });
});
