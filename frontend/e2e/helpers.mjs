// Shared plumbing for the end-to-end suite: configuration from the
// environment, the controller's API, and a headless Chromium from the system
// (playwright-core downloads no browser).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_URL = (process.env.PUREBOOT_URL ?? '').replace(/\/+$/, '');
export const ADMIN_TOKEN = process.env.PUREBOOT_TOKEN ?? '';
export const SCREENSHOT_DIR = resolve(process.env.SCREENSHOT_DIR ?? 'artifacts/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

if (!BASE_URL) {
  throw new Error('PUREBOOT_URL is not set: point it at a running controller that serves the built UI');
}

/** A JSON call to /api/v1; `token` defaults to the admin token. Returns { status, body }. */
export async function api(method, path, { body, token = ADMIN_TOKEN } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${BASE_URL}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { raw: text };
  }
  return { status: response.status, body: json };
}

/** Like api(), but fails the test unless the answer is 2xx. */
export async function apiOk(method, path, options) {
  const result = await api(method, path, options);
  if (result.status < 200 || result.status >= 300) {
    throw new Error(`${method} ${path} → ${result.status} ${JSON.stringify(result.body)}`);
  }
  return result.body;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A page in a new context of `browser` (1280×900 unless `contextOptions` says otherwise) that waits
 * at most 15 s a step and pushes its uncaught errors onto `pageErrors`.
 */
export async function openPage(browser, pageErrors, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error));
  return { context, page };
}

/** Proves the page `getPage()` returns was not reloaded since `mark()`: the marker lives in the JS heap. */
export function reloadMarker(getPage) {
  return {
    mark: () => getPage().evaluate(() => (window.__e2eMarker = 'still-here')),
    assertNotReloaded: async () =>
      assert.equal(await getPage().evaluate(() => window.__e2eMarker), 'still-here', 'the page was reloaded'),
  };
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * Opens `path`, signing in through the UI's token screen if the controller asks for one. The UI shows
 * the page (`readyLocator`) only once the controller has accepted the tab's token (or none), the sign-in
 * screen only once it has refused: whichever appears first is the answer, not a guess made too early.
 */
export async function openSignedIn(page, path, readyLocator) {
  await page.goto(`${BASE_URL}${path}`);
  const tokenInput = page.getByLabel('API token', { exact: true });
  await readyLocator.or(tokenInput).first().waitFor();
  if (await tokenInput.isVisible()) {
    if (!ADMIN_TOKEN) throw new Error('the controller asks for an API token: set PUREBOOT_TOKEN');
    await tokenInput.fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await readyLocator.waitFor();
  }
}

/** Waits until the UI's event stream is connected, so events are not racing the socket. */
export async function waitForLive(page) {
  await page.locator('[data-connection="open"]').waitFor();
}

/** The progress bar's current aria-valuenow on the page (the first bar). */
export async function progressValue(page) {
  return Number(await page.getByRole('progressbar').first().getAttribute('aria-valuenow'));
}

export async function waitForProgressAtLeast(page, minimum) {
  await page.waitForFunction(
    (min) => Number(document.querySelector('main [role="progressbar"]')?.getAttribute('aria-valuenow')) >= min,
    minimum,
  );
}

export async function waitForStatus(page, label) {
  await page.locator('[data-testid="status-badge"]', { hasText: label }).first().waitFor();
}

const capitalized = (role) => role[0].toUpperCase() + role.slice(1);

/** Selects the `role` ('source' or 'target') node and waits until its device field has settled. */
export async function chooseNode(page, role, nodeId) {
  // The field is a select of the reported disks when the node has any, a text input otherwise.
  const { status, body } = await api('GET', `/nodes/${nodeId}/disks`);
  const hasDisks = status === 200 && Array.isArray(body?.data) && body.data.length > 0;
  await page.getByLabel(`${capitalized(role)} node`, { exact: true }).selectOption(nodeId);
  const field = page.locator(`${hasDisks ? 'select' : 'input'}#${role}_device`);
  await field.waitFor();
  if (hasDisks) {
    // Settled once it offers every reported disk and has picked one of them.
    await page.waitForFunction(
      ({ id, devices }) => {
        const select = document.getElementById(id);
        const offered = [...(select?.options ?? [])].map((option) => option.value);
        return devices.every((device) => offered.includes(device)) && devices.includes(select.value);
      },
      { id: `${role}_device`, devices: body.data.map((disk) => disk.device) },
    );
  }
}

/** Picks `device` in the `role` device field (or the first scanned disk when it is unknown). */
export async function chooseDevice(page, role, device) {
  const field = page.getByLabel(`${capitalized(role)} device`, { exact: true });
  const tag = await field.evaluate((element) => element.tagName);
  if (tag !== 'SELECT') {
    await field.fill(device);
    return device;
  }
  const options = await field.locator('option').evaluateAll((all) => all.map((option) => option.value));
  const chosen = options.includes(device) ? device : options[0];
  await field.selectOption(chosen);
  return chosen;
}

/** A locally administered MAC address, unlikely to clash with an earlier run. */
export function randomMac() {
  const tail = Array.from({ length: 4 }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0'));
  return ['02', '00', ...tail].join(':');
}

/** Registers a node through the API; returns the node and its node token (for its own callbacks). */
export async function registerNode(hostname) {
  const { data } = await apiOk('POST', '/nodes', {
    body: { mac_address: randomMac(), hostname, ip_address: null, arch: 'x86_64' },
  });
  if (!data?.node_token) throw new Error(`POST /nodes returned no node_token: ${JSON.stringify(data)}`);
  return { node: data, token: data.node_token };
}

export const MIB = 1024 ** 2;
export const GIB = 1024 ** 3;

/**
 * A partition as `parted unit B print` reports it: `end_bytes` is its last
 * byte, so size = end - start + 1.
 */
export function reportedPartition(number, startBytes, sizeBytes, fields) {
  return {
    number,
    start_bytes: startBytes,
    end_bytes: startBytes + sizeBytes - 1,
    size_bytes: sizeBytes,
    flags: [],
    ...fields,
  };
}

/** Where the data partition starts: right after a 100 GiB root, and it stays there when root shrinks. */
const DATA_START = MIB + 512 * MIB + 100 * GIB;

/**
 * A 500 GB disk as a node's scan reports it: GPT with an EFI system partition,
 * an ext4 root and an xfs data partition, and unallocated space at the end.
 * `rootBytes` lets a later scan show the root partition resized.
 */
export function disk500(rootBytes = 100 * GIB) {
  const efi = reportedPartition(1, MIB, 512 * MIB, {
    type: 'efi',
    filesystem: 'fat32',
    label: 'EFI',
    flags: ['boot', 'esp'],
    used_bytes: 6 * MIB,
    mountpoint: '/boot/efi',
  });
  const root = reportedPartition(2, efi.end_bytes + 1, rootBytes, {
    type: 'linux',
    filesystem: 'ext4',
    label: 'root',
    used_bytes: 38 * GIB,
    mountpoint: '/',
  });
  const data = reportedPartition(3, DATA_START, 300 * GIB, {
    type: 'linux',
    filesystem: 'xfs',
    label: 'data',
    used_bytes: 120 * GIB,
    mountpoint: '/srv/data',
  });
  return {
    device: '/dev/sda',
    size_bytes: 500_107_862_016,
    model: 'Samsung SSD 870 EVO 500GB',
    serial: 'S6PXNS0T412345A',
    partition_table: 'gpt',
    partitions: [efi, root, data],
  };
}

/** The node's scan, posted with its own token, as the node would. Returns the disks the controller stored. */
export async function reportDisks(nodeId, nodeToken, disks) {
  const body = await apiOk('POST', `/nodes/${nodeId}/disks/report`, { body: { disks }, token: nodeToken });
  return body.data;
}
