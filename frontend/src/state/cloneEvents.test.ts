import { describe, expect, it } from 'vitest';
import type { ApiListResponse, ApiResponse } from '../api/client';
import type { CloneProgressData, WebSocketEvent } from '../api/events';
import { cloneSession as session } from '../testing/cloneSession';
import type { CloneSession } from '../types/clone';
import { applyProgress, applyProgressToDetail, applyProgressToList, cacheEffects } from './cloneEvents';
import { cloneSessionKeys, imageKeys, nodeKeys, storageKeys } from './queryKeys';

/** One message's `type` and `data`, without its place in the log (kept per type). */
type EventBody = WebSocketEvent extends infer E
  ? E extends WebSocketEvent
    ? Omit<E, 'position' | 'prev_position' | 'timestamp'>
    : never
  : never;

/** `data` of one event type, as a full message (the envelope's fields do not matter here). */
function event(message: EventBody): WebSocketEvent {
  return { ...message, position: 2, prev_position: 1, timestamp: '2026-11-25T17:00:00Z' } as WebSocketEvent;
}

function progress(overrides: Partial<CloneProgressData> = {}): CloneProgressData {
  return {
    session_id: 's1',
    bytes_transferred: 500,
    bytes_total: 1000,
    progress_percent: 50,
    transfer_rate_bps: 25,
    status: 'transferring',
    ...overrides,
  };
}

describe('applyProgress', () => {
  it('takes the reported bytes, percent and rate', () => {
    const next = applyProgress(session(), progress());

    expect(next).toMatchObject({ bytes_transferred: 500, progress_percent: 50, transfer_rate_bps: 25 });
  });

  it('records the phase and when the report was recorded (stall detection reads them)', () => {
    const next = applyProgress(session(), { ...progress({ status: 'verifying' }), reported_at: '2026-11-29T10:00:00Z' });

    expect(next).toMatchObject({ transfer_phase: 'verifying', last_report_at: '2026-11-29T10:00:00Z' });
  });

  it('moves a ready source to cloning', () => {
    expect(applyProgress(session({ status: 'source_ready' }), progress()).status).toBe('cloning');
  });

  it('never goes backwards when reports arrive out of order', () => {
    const current = session({ bytes_transferred: 700, progress_percent: 70 });

    expect(applyProgress(current, progress({ bytes_transferred: 500, progress_percent: 50 }))).toBe(current);
  });

  it('does not reopen a finished session on a late report', () => {
    const done = session({ status: 'completed', bytes_transferred: 100 });

    expect(applyProgress(done, progress())).toBe(done);
  });

  it('ignores reports for other sessions', () => {
    const current = session();

    expect(applyProgress(current, progress({ session_id: 'other' }))).toBe(current);
  });

  it('keeps the rate it had when the report has none', () => {
    expect(applyProgress(session(), progress({ transfer_rate_bps: null })).transfer_rate_bps).toBe(10);
  });
});

describe('applyProgressToDetail', () => {
  it('patches the cached envelope', () => {
    const cached: ApiResponse<CloneSession> = { success: true, data: session() };

    expect(applyProgressToDetail(cached, progress())?.data.progress_percent).toBe(50);
  });

  it('leaves an empty cache empty', () => {
    expect(applyProgressToDetail(undefined, progress())).toBeUndefined();
  });
});

describe('applyProgressToList', () => {
  it('patches only the matching row', () => {
    const other = session({ id: 's2' });
    const cached: ApiListResponse<CloneSession> = { success: true, data: [session(), other], total: 2 };

    const next = applyProgressToList(cached, progress());

    expect(next?.data[0]?.bytes_transferred).toBe(500);
    expect(next?.data[1]).toBe(other);
    expect(next?.total).toBe(2);
  });

  it('returns the same page when no row matches, so nothing re-renders', () => {
    const cached: ApiListResponse<CloneSession> = { success: true, data: [session({ id: 's2' })], total: 1 };

    expect(applyProgressToList(cached, progress())).toBe(cached);
  });
});

describe('cacheEffects', () => {
  it('patches on progress with the report time, and refreshes only that session (timeline, detail)', () => {
    const effects = cacheEffects(event({ type: 'clone.progress', data: progress() }));

    expect(effects.progress).toMatchObject({ session_id: 's1', reported_at: '2026-11-25T17:00:00Z' });
    expect(effects.invalidate).toEqual([cloneSessionKeys.history('s1'), cloneSessionKeys.detail('s1')]);
  });

  it('refreshes the session and the lists on lifecycle events', () => {
    const effects = cacheEffects(event({ type: 'clone.completed', data: { session_id: 's1', duration_seconds: 3 } }));

    expect(effects.progress).toBeNull();
    expect(effects.invalidate).toEqual([cloneSessionKeys.lists(), cloneSessionKeys.detail('s1')]);
  });

  it('refreshes only the lists when a session is created', () => {
    expect(cacheEffects(event({ type: 'clone.created', data: { session_id: 's9' } })).invalidate).toEqual([
      cloneSessionKeys.lists(),
    ]);
  });

  it('refreshes all of a node disk queries when a scan arrives', () => {
    const effects = cacheEffects(
      event({
        type: 'partition.scan_complete',
        data: {
          node_id: 'n1',
          device: '/dev/sda',
          disk_id: 'd1',
          size_bytes: 1000,
          partition_table: 'gpt',
          partition_count: 1,
          scanned_at: '2026-11-25T17:00:00Z',
        },
      }),
    );

    expect(effects.invalidate).toEqual([nodeKeys.disks('n1')]);
  });

  it('refreshes only the scan status when a scan is requested', () => {
    expect(cacheEffects(event({ type: 'partition.scan_requested', data: { node_id: 'n1', requested_at: '2026-11-25T17:00:00Z' } })).invalidate).toEqual([
      nodeKeys.scanStatus('n1'),
    ]);
  });

  it('refreshes only the device queue on operation events', () => {
    const op = { node_id: 'n1', device: '/dev/sda', operation_id: 'o1', operation: 'resize' } as const;
    const messages: EventBody[] = [
      { type: 'partition.operation_queued', data: { ...op, sequence: 1, params: {} } },
      { type: 'partition.operation_started', data: op },
      { type: 'partition.operation_complete', data: op },
      { type: 'partition.operation_failed', data: { ...op, error: 'bad', withdrawn: [] } },
    ];
    for (const message of messages) {
      const effects = cacheEffects(event(message));
      expect(effects.invalidate).toEqual([nodeKeys.operations('n1', '/dev/sda')]);
    }
    expect(
      cacheEffects(
        event({ type: 'partition.operation_removed', data: { node_id: 'n1', device: '/dev/sdb', operation_id: 'o1' } }),
      )
        .invalidate,
    ).toEqual([nodeKeys.operations('n1', '/dev/sdb')]);
    expect(
      cacheEffects(
        event({ type: 'partition.operations_applied', data: { node_id: 'n1', device: '/dev/sda', operation_ids: ['o1'] } }),
      ).invalidate,
    ).toEqual([nodeKeys.operations('n1', '/dev/sda')]);
  });

  it('falls back to all of the node disk queries when an operation event names no device', () => {
    const event = { type: 'partition.operation_complete', data: { node_id: 'n1', operation_id: 'o1', operation: 'resize' } };

    expect(cacheEffects(event as unknown as Parameters<typeof cacheEffects>[0]).invalidate).toEqual([nodeKeys.disks('n1')]);
  });

  it('keeps every disk query of a node under its disks key', () => {
    const prefix = nodeKeys.disks('n1');
    for (const key of [nodeKeys.diskList('n1'), nodeKeys.scanStatus('n1'), nodeKeys.operations('n1', '/dev/sda')]) {
      expect(key.slice(0, prefix.length)).toEqual([...prefix]);
    }
  });

  it('refreshes the storage backends on backend events', () => {
    expect(cacheEffects(event({ type: 'storage.backend_created', data: { backend_id: 'b1' } })).invalidate).toEqual([
      storageKeys.backends,
    ]);
  });

  it('refreshes every image list when an image is ready, being deleted or deleted', () => {
    const ready = event({ type: 'image.ready', data: { image_id: 'i1', name: 'golden', size_bytes: 1 } });
    const failed = event({ type: 'image.cleanup_failed', data: { image_id: 'i1', reason: 'not mounted' } });
    const started = event({ type: 'image.cleanup_started', data: { image_id: 'i1' } });
    for (const message of [ready, started, failed, event({ type: 'image.deleted', data: { image_id: 'i1' } })]) {
      const effects = cacheEffects(message);
      expect(effects.invalidate).toContainEqual(imageKeys.lists());
      // a filtered, paged list sits under that prefix
      expect(imageKeys.list({ name: 'gold', offset: 20 }).slice(0, 2)).toEqual([...imageKeys.lists()]);
    }
  });

  it("refreshes the session and the captures in progress when a capture's staging moves on", () => {
    const effects = cacheEffects(
      event({ type: 'clone.staging_status', data: { session_id: 's1', role: 'source', staging_status: 'uploading' } }),
    );
    expect(effects.invalidate).toEqual([cloneSessionKeys.lists(), cloneSessionKeys.detail('s1'), imageKeys.lists()]);
  });

  it('ignores event types it does not know', () => {
    const unknown = { type: 'future.thing', data: {} } as unknown as Parameters<typeof cacheEffects>[0];

    expect(cacheEffects(unknown)).toEqual({ progress: null, invalidate: [] });
  });
});
