import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { restoreRequest, sessionToOpen, startRestores } from './restore';
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
      { target: 'a', ok: true, sessionId: 's-a', created: { data: { id: 's-a' } } },
      { target: 'busy', ok: false, reason: 'target_node_id: clone_target busy is already in use' },
      { target: 'c', ok: true, sessionId: 's-c', created: { data: { id: 's-c' } } },
    ]);
  });

  it("gives a refusal in the server's own words", async () => {
    const create = async (): Promise<{ data: { id: string } }> => {
      throw new ApiError(409, { error: 'Conflict', detail: 'target node n1 is the target of session s9' }, 'x');
    };
    const [outcome] = await startRestores('img', ['n1'], '', create);
    expect(outcome).toEqual({ target: 'n1', ok: false, reason: 'target node n1 is the target of session s9' });
  });
});

describe('sessionToOpen', () => {
  const ok = (id: string) => ({ target: id, ok: true as const, sessionId: id, created: { id } });
  it('is the session of a single accepted target', () => {
    expect(sessionToOpen([ok('a')])).toEqual({ id: 'a' });
  });
  it('is none for a refused target or several targets (their outcomes are listed instead)', () => {
    expect(sessionToOpen([{ target: 'a', ok: false, reason: 'busy' }])).toBeNull();
    expect(sessionToOpen([ok('a'), ok('b')])).toBeNull();
    expect(sessionToOpen([])).toBeNull();
  });
});
