// End to end: the resize plan on the session page. A 1.5 GiB source onto a
// 1 GiB target (the numbers of tests/api/clone_plan.rs) is refused at Start
// until a plan that fits is saved; the server's refusals are shown where they
// belong (a 422 next to its field, a 409 for the plan), and once started the
// plan is read-only.
//
// Needs a running controller (fresh database) serving the built UI:
//   PUREBOOT_URL=http://127.0.0.1:18080 PUREBOOT_TOKEN=… node --test e2e/
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GIB,
  MIB,
  apiOk,
  launchBrowser,
  openPage,
  openSignedIn,
  registerNode,
  reportDisks,
  reportedPartition,
  screenshot,
  waitForLive,
} from './helpers.mjs';

const run = Math.random().toString(36).slice(2, 8);
/** Partition 2: 1502 MiB, as sfdisk makes it after a 32 MiB EFI partition. */
const ROOT_SIZE = 3_076_096 * 512;

/** The source as its node reports it: ext4 root of 1502 MiB, 100 MiB used, `resize2fs -P` 120 MiB. */
function sourceDisk() {
  const efi = reportedPartition(1, MIB, 32 * MIB, { type: 'linux', filesystem: 'vfat', label: null, used_bytes: MIB });
  const root = reportedPartition(2, 33 * MIB, ROOT_SIZE, {
    type: 'linux',
    filesystem: 'ext4',
    label: null,
    used_bytes: 100 * MIB,
    fs_min_bytes: 120 * MIB,
  });
  return { device: '/dev/sda', size_bytes: 1536 * MIB, partition_table: 'gpt', partitions: [efi, root] };
}

const targetDisk = { device: '/dev/sdb', size_bytes: GIB, partition_table: 'gpt', partitions: [] };

describe('resize plan: edited on the session page until Start accepts it', () => {
  let browser;
  let page;
  const pageErrors = [];
  let sessionId;

  const plan = () => page.getByRole('form', { name: 'Resize plan' });
  const startButton = () => page.getByRole('button', { name: 'Start', exact: true });

  before(async () => {
    browser = await launchBrowser();
    ({ page } = await openPage(browser, pageErrors));
    const source = await registerNode(`e2e-plan-src-${run}`);
    const target = await registerNode(`e2e-plan-dst-${run}`);
    await reportDisks(source.node.id, source.token, [sourceDisk()]);
    await reportDisks(target.node.id, target.token, [targetDisk]);
    const created = await apiOk('POST', '/clone-sessions', {
      body: {
        name: `e2e-plan-${run}`,
        clone_mode: 'direct',
        source_node_id: source.node.id,
        target_node_id: target.node.id,
        source_device: '/dev/sda',
        target_device: '/dev/sdb',
        resize_mode: 'shrink_source',
      },
    });
    sessionId = created.data.id;
  });

  after(async () => {
    await browser?.close();
  });

  it('shows the empty plan, why Start would be refused, and Start refused with the numbers', async () => {
    await openSignedIn(page, `/clone/${sessionId}`, page.getByRole('heading', { name: `e2e-plan-${run}` }));
    await waitForLive(page);
    await plan().getByText('No plan: the source is cloned as it is.').waitFor();
    await page.getByRole('status').filter({ hasText: 'Start would be refused:' }).waitFor();
    await startButton().click();
    const refusal = page.getByRole('alert').filter({ hasText: 'start refused' });
    await refusal.waitFor();
    assert.match(await refusal.textContent(), /start refused: cannot fit: 1609581568 > 1073741824/);
    const { data } = await apiOk('GET', `/clone-sessions/${sessionId}`);
    assert.equal(data.start_requested_at ?? null, null, 'not started');
  });

  it("shows the server's 422 next to the field it names, and a 409 for the plan as a whole", async () => {
    await plan().getByRole('button', { name: 'Add operation' }).click();
    await page.getByLabel('Partition', { exact: true }).fill('0');
    await page.getByLabel('New size', { exact: true }).fill('990');
    await plan().getByRole('button', { name: 'Save plan' }).click();
    const partitionError = page.locator('#plan-0-partition-error');
    await partitionError.waitFor();
    assert.equal(await partitionError.textContent(), '0 is not a partition number (they start at 1)');
    assert.equal(await page.getByLabel('Partition', { exact: true }).getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'plan-01-field-error');

    // Below the filesystem's shrink floor: the simulator's rule, about the plan
    await page.getByLabel('Partition', { exact: true }).fill('2');
    await page.getByLabel('New size', { exact: true }).fill('200');
    await plan().getByRole('button', { name: 'Save plan' }).click();
    const planError = plan().getByRole('alert');
    await planError.waitFor();
    assert.match(await planError.textContent(), /cannot be shrunk below its minimum size of 262356992/);
    // A client-side check first: text that is not a size is not sent
    await page.getByLabel('New size', { exact: true }).fill('lots');
    await plan().getByRole('button', { name: 'Save plan' }).click();
    await page.locator('#plan-0-amount-error').filter({ hasText: 'Enter a number of MiB' }).waitFor();
    const { data } = await apiOk('GET', `/clone-sessions/${sessionId}/plan`);
    assert.deepEqual(data.source_operations, [], 'nothing was stored');
  });

  it("starts from analyze's suggestion, saves it, and Start then accepts the session", async () => {
    await plan().getByRole('button', { name: "Use analyze's suggestion" }).click();
    await plan().getByRole('status').filter({ hasText: /^Analyze:/ }).waitFor();
    // partition 2 to 1,038,090,240 bytes: exactly 990 MiB
    await page.waitForFunction(() => document.getElementById('plan-0-amount')?.value === '990');
    assert.equal(await page.getByLabel('Partition', { exact: true }).inputValue(), '2');
    assert.equal(await page.getByLabel('Unit of operation 1').inputValue(), 'MiB');
    await plan().getByRole('button', { name: 'Save plan' }).click();
    await page.getByRole('status').filter({ hasText: 'Plan saved.' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Start would be refused:' }).waitFor({ state: 'detached' });
    // The earlier refusal was about the old plan: it is no longer shown
    await page.getByRole('alert').filter({ hasText: 'start refused' }).waitFor({ state: 'detached' });
    const stored = await apiOk('GET', `/clone-sessions/${sessionId}/plan`);
    assert.deepEqual(stored.data.source_operations, [
      { operation: 'resize', params: { partition: 2, new_size_bytes: 1_038_090_240 } },
    ]);
    assert.equal(stored.data.problem, null);
    await screenshot(page, 'plan-02-saved');
    // The form fits a phone: no sideways scroll at 390 px
    await page.setViewportSize({ width: 390, height: 844 });
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    assert.ok(scrollWidth <= clientWidth, `scrollWidth ${scrollWidth} > clientWidth ${clientWidth}`);
    await page.getByRole('heading', { name: 'Resize plan' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'plan-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    await screenshot(page, 'plan-1440');

    await startButton().click();
    await startButton().waitFor({ state: 'detached' });
    const { data } = await apiOk('GET', `/clone-sessions/${sessionId}`);
    assert.ok(data.start_requested_at, `started: ${JSON.stringify(data)}`);
  });

  it('shows the plan read-only once the session started', async () => {
    await page.getByText('Fixed: the session has started.').waitFor();
    assert.equal(await plan().count(), 0, 'no form any more');
    const operations = page.getByRole('list', { name: 'Plan operations' }).getByRole('listitem');
    assert.equal(await operations.count(), 1);
    assert.match(await operations.first().textContent(), /resize partition 2/);
    const { data } = await apiOk('GET', `/clone-sessions/${sessionId}/plan`);
    assert.equal(data.editable, false);
    await screenshot(page, 'plan-03-read-only');
  });

  it('raised no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors.map(String), []);
  });
});
