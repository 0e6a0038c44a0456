import { describe, expect, it } from 'vitest';
import type { CloneSession } from '../../types/clone';
import { retryRequest } from './RetryButton';

describe('retryRequest', () => {
  it('repeats the parameters of the session', () => {
    const session = {
      id: 's1',
      name: 'rack1',
      status: 'failed',
      clone_mode: 'direct',
      source_node_id: 'n1',
      target_node_id: 'n2',
      source_device: '/dev/sdb',
      target_device: '/dev/nvme0n1',
      resize_mode: 'grow_target',
    } as CloneSession;
    expect(retryRequest(session)).toEqual({
      name: 'rack1 (retry)',
      clone_mode: 'direct',
      source_node_id: 'n1',
      target_node_id: 'n2',
      source_device: '/dev/sdb',
      target_device: '/dev/nvme0n1',
      staging_backend_id: null,
      resize_mode: 'grow_target',
    });
  });
});
