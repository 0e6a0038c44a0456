import { describe, expect, it } from 'vitest';
import { restoreRequest, startRestores } from './restore';
import type { CloneSessionCreate } from '../types/clone';

describe('restoreRequest', () => {
  it('is a staged session of the image onto one target, /dev/sda when no device is given', () => {
    expect(restoreRequest('img', 'n1', '  ')).toEqual({
      clone_mode: 'staged',
      image_id: 'img',
      target_node_id: 'n1',
      target_device: '/dev/sda',
    });
    expect(restoreRequest('img', 'n1', '/dev/nvme0n1').target_device).toBe('/dev/nvme0n1');
  });
});

describe('startRestores', () => {
  it('creates one session per target and keeps going past a refused one', async () => {
    const sent: CloneSessionCreate[] = [];
    const create = async (request: CloneSessionCreate) => {
      sent.push(request);
      if (request.target_node_id === 'busy') throw new Error('target_node_id: clone_target busy is already in use');
      return { data: { id: `s-${request.target_node_id}` } };
    };
    const outcomes = await startRestores('img', ['a', 'busy', 'c'], '/dev/sdb', create);
    expect(sent.map((r) => r.target_node_id)).toEqual(['a', 'busy', 'c']);
    expect(outcomes).toEqual([
      { target: 'a', ok: true, sessionId: 's-a' },
      { target: 'busy', ok: false, reason: 'target_node_id: clone_target busy is already in use' },
      { target: 'c', ok: true, sessionId: 's-c' },
    ]);
  });
});
