// Contract test: the disks API and its node callbacks through the client
// generated from the OpenAPI document — a node reports its scan with its own
// token, an operator queues, is refused, removes and applies operations, and
// the node runs them. Paths, bodies and fields are type-checked against the
// document; the answers are checked against the server here.
//
//   PUREBOOT_URL=http://127.0.0.1:18080 [PUREBOOT_TOKEN=…] npm run contract
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, client, failed, ok, randomMac, type Schemas } from './client';

type ReportedDisk = Schemas['ReportedDisk'];
type ReportedPartition = Schemas['ReportedPartition'];
type PartitionOperation = Schemas['PartitionOperationResponse'];

const run = Math.random().toString(36).slice(2, 8);
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const DEVICE = '/dev/sda';

/** `end_bytes` is the partition's last byte: size = end - start + 1. */
function partition(
  number: number,
  start: number,
  size: number,
  fields: Omit<ReportedPartition, 'number' | 'start_bytes' | 'end_bytes' | 'size_bytes'>,
): ReportedPartition {
  return { number, start_bytes: start, end_bytes: start + size - 1, size_bytes: size, ...fields };
}

const ROOT_START = MIB + 512 * MIB;
const DATA_START = ROOT_START + 100 * GIB;
const DISK: ReportedDisk = {
  device: DEVICE,
  size_bytes: 500_107_862_016,
  model: 'Samsung SSD 870 EVO 500GB',
  serial: `CONTRACT-${run}`,
  partition_table: 'gpt',
  partitions: [
    partition(1, MIB, 512 * MIB, {
      type: 'efi',
      filesystem: 'vfat',
      label: 'EFI',
      flags: ['boot', 'esp'],
      used_bytes: 6 * MIB,
      mountpoint: '/boot/efi',
    }),
    partition(2, ROOT_START, 100 * GIB, {
      type: 'linux',
      filesystem: 'ext4',
      label: 'root',
      flags: [],
      used_bytes: 38 * GIB,
      mountpoint: '/',
    }),
    partition(3, DATA_START, 300 * GIB, {
      type: 'linux',
      filesystem: 'xfs',
      label: 'data',
      flags: [],
      used_bytes: 120 * GIB,
      mountpoint: '/srv/data',
    }),
  ],
};

describe('disks and partition operations through the generated client', () => {
  const state: { nodeId?: string; nodeHeaders: Record<string, string>; resize?: PartitionOperation } = {
    nodeHeaders: {},
  };
  const nodeId = () => {
    if (!state.nodeId) throw new Error('no node: an earlier step failed');
    return state.nodeId;
  };
  const disk = () => ({ path: { id: nodeId(), device: DEVICE } });
  /** Queues `operation` on the node's disk; the raw answer, for ok() or failed(). */
  const queue = (operation: Schemas['PartitionOperationCreate']) =>
    client.POST('/api/v1/nodes/{id}/disks/{device}/operations', { params: disk(), body: operation });

  it('registers a node and hands out its node token', async () => {
    const body = ok(
      await client.POST('/api/v1/nodes', { body: { mac_address: randomMac(), hostname: `contract-disks-${run}` } }),
      'POST /nodes',
    );
    expect(body.data.node_token).toMatch(/^pbk_/);
    state.nodeId = body.data.id;
    state.nodeHeaders = { Authorization: `Bearer ${body.data.node_token}` };
  });

  it('takes the node’s scan with its own token, and refuses the operator’s token for it', async () => {
    if (ADMIN_TOKEN) {
      const refused = await client.POST('/api/v1/nodes/{id}/disks/report', {
        params: { path: { id: nodeId() } },
        body: { disks: [DISK] },
      });
      expect([401, 403]).toContain(refused.response.status);
    }
    const stored = ok(
      await client.POST('/api/v1/nodes/{id}/disks/report', {
        params: { path: { id: nodeId() } },
        headers: state.nodeHeaders,
        body: { disks: [DISK] },
      }),
      'POST disks/report',
    ).data;
    expect(stored.map((d) => d.device)).toEqual([DEVICE]);
  });

  it('refuses a report whose partitions overlap, naming them', async () => {
    const [efi, root] = DISK.partitions!;
    // The root partition starting on the EFI partition's last byte.
    const shifted = { ...root!, start_bytes: efi!.end_bytes, size_bytes: root!.end_bytes - efi!.end_bytes + 1 };
    const overlapping = { ...DISK, partitions: [efi!, shifted] };
    const error = failed(
      await client.POST('/api/v1/nodes/{id}/disks/report', {
        params: { path: { id: nodeId() } },
        headers: state.nodeHeaders,
        body: { disks: [overlapping] },
      }),
      422,
    );
    expect(error.detail).toMatch(/overlap/i);
  });

  it('lists the disk with sizes, usage and shrink limits', async () => {
    const list = ok(await client.GET('/api/v1/nodes/{id}/disks', { params: { path: { id: nodeId() } } }), 'GET disks');
    expect(list.total).toBe(1);
    const [listed] = list.data;
    const single = ok(await client.GET('/api/v1/nodes/{id}/disks/{device}', { params: disk() }), 'GET disk').data;
    expect(single).toEqual(listed);
    expect(single).toMatchObject({
      node_id: nodeId(),
      device: DEVICE,
      size_bytes: DISK.size_bytes,
      size_human: '465.8 GB',
      partition_table: 'gpt',
    });
    const facts = single.partitions.map((p) => [p.number, p.filesystem, p.size_human, p.used_percent, p.can_shrink]);
    expect(facts).toEqual([
      [1, 'vfat', '0.5 GB', 1.2, true], // kept as the scanner names it; a small partition keeps 10 % free
      [2, 'ext4', '100.0 GB', 38, true],
      [3, 'xfs', '300.0 GB', 40, false],
    ]);
    const efi = single.partitions[0]!;
    expect(efi.min_size_bytes).toBeGreaterThan(efi.used_bytes! + efi.size_bytes / 10);
    expect(efi.min_size_bytes).toBeLessThan(efi.size_bytes);
    const root = single.partitions[1]!;
    expect(root.end_bytes - root.start_bytes + 1).toBe(root.size_bytes);
    expect(root.min_size_bytes).toBeGreaterThan(38 * GIB);
    expect(root.min_size_bytes).toBeLessThan(root.size_bytes);
    expect(single.partitions[2]!.min_size_bytes ?? null).toBeNull();
  });

  it('records a scan request until the node reports', async () => {
    const node = { params: { path: { id: nodeId() } } };
    const requested = ok(await client.POST('/api/v1/nodes/{id}/disks/scan', node), 'POST scan').data;
    expect(requested.status).toBe('pending');
    const status = ok(await client.GET('/api/v1/nodes/{id}/disks/scan-status', node), 'GET scan-status').data;
    expect(status).toMatchObject({ node_id: nodeId(), status: 'pending' });
    expect(status.requested_at).toEqual(expect.any(String));
  });

  it('queues a resize that fits', async () => {
    const body = ok(
      await queue({ operation: 'resize', params: { partition: 2, new_size_bytes: 60 * GIB } }),
      'POST operations',
    );
    expect(body.data).toMatchObject({
      device: DEVICE,
      operation: 'resize',
      sequence: 1,
      status: 'pending',
      params: { partition: 2, new_size_bytes: 60 * GIB },
    });
    expect(body.data.applied_at ?? null).toBeNull();
    state.resize = body.data;
  });

  it('refuses, with 409 and the reason, a resize that does not fit', async () => {
    const shrinkXfs = failed(
      await queue({ operation: 'resize', params: { partition: 3, new_size_bytes: 200 * GIB } }),
      409,
    );
    expect(shrinkXfs.detail).toMatch(/xfs filesystems cannot be shrunk/);
    const pastTheEnd = failed(
      await queue({ operation: 'resize', params: { partition: 3, new_size_bytes: 400 * GIB } }),
      409,
    );
    expect(pastTheEnd.detail).toMatch(/past the end of \/dev\/sda/);
  });

  it('refuses wrong params with 422 naming the field', async () => {
    const error = failed(
      await queue({ operation: 'resize', params: { partition: 2, new_size_bytes: 0 } }),
      422,
    );
    expect(error.fields?.map((f) => f.field)).toContain('params.new_size_bytes');
  });

  it('removes a queued operation', async () => {
    const grow = ok(
      await queue({ operation: 'resize', params: { partition: 3, new_size_bytes: 320 * GIB } }),
      'POST operations',
    ).data;
    expect(grow.sequence).toBe(2);
    const removed = ok(
      await client.DELETE('/api/v1/nodes/{id}/disks/{device}/operations/{op_id}', {
        params: { path: { ...disk().path, op_id: grow.id } },
      }),
      'DELETE operation',
    ).data;
    expect(removed.id).toBe(grow.id);
    const list = ok(await client.GET('/api/v1/nodes/{id}/disks/{device}/operations', { params: disk() }), 'GET operations');
    expect(list.data.map((op) => op.id)).toEqual([state.resize!.id]);
  });

  it('hides queued operations from the node until they are applied', async () => {
    const asNode = { params: { path: { id: nodeId() } }, headers: state.nodeHeaders };
    const before = ok(await client.GET('/api/v1/nodes/{id}/partition-operations', asNode), 'GET partition-operations');
    expect(before.data).toEqual([]);

    const applied = ok(await client.POST('/api/v1/nodes/{id}/disks/{device}/apply', { params: disk() }), 'POST apply').data;
    expect(applied.map((op) => op.id)).toEqual([state.resize!.id]);
    expect(applied[0]!.applied_at).toEqual(expect.any(String));
    failed(await client.POST('/api/v1/nodes/{id}/disks/{device}/apply', { params: disk() }), 409); // nothing left to apply
    failed(
      await client.DELETE('/api/v1/nodes/{id}/disks/{device}/operations/{op_id}', {
        params: { path: { ...disk().path, op_id: state.resize!.id } },
      }),
      409,
    );

    const handed = ok(await client.GET('/api/v1/nodes/{id}/partition-operations', asNode), 'GET partition-operations');
    expect(handed.data.map((op) => op.id)).toEqual([state.resize!.id]);
  });

  it('takes the node’s status reports and its rescan', async () => {
    const report = async (status: 'running' | 'completed') =>
      ok(
        await client.POST('/api/v1/nodes/{id}/partition-operations/{op_id}/status', {
          params: { path: { id: nodeId(), op_id: state.resize!.id } },
          headers: state.nodeHeaders,
          body: { status },
        }),
        `POST status ${status}`,
      ).data;
    expect((await report('running')).status).toBe('running');
    const done = await report('completed');
    expect(done.status).toBe('completed');
    expect(done.executed_at).toEqual(expect.any(String));

    const [efi, root, data] = DISK.partitions!;
    const shrunk = { ...root!, end_bytes: root!.start_bytes + 60 * GIB - 1, size_bytes: 60 * GIB };
    const node = { params: { path: { id: nodeId() } } };
    ok(
      await client.POST('/api/v1/nodes/{id}/disks/report', {
        ...node,
        headers: state.nodeHeaders,
        body: { disks: [{ ...DISK, partitions: [efi!, shrunk, data!] }] },
      }),
      'POST disks/report',
    );
    const status = ok(await client.GET('/api/v1/nodes/{id}/disks/scan-status', node), 'GET scan-status').data;
    expect(status.status).toBe('done');
    const after = ok(await client.GET('/api/v1/nodes/{id}/disks/{device}', { params: disk() }), 'GET disk').data;
    expect(after.partitions[1]!.size_human).toBe('60.0 GB');
  });
});
