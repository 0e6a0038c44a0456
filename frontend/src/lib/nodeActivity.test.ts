import { describe, expect, it } from 'vitest';
import type { CloneSession } from '../types/clone';
import { activityText, sessionsOfNode } from './nodeActivity';

const session = (id: string, status: string, source: string, target: string | null, name: string | null = null) =>
  ({ id, status, source_node_id: source, target_node_id: target, name }) as CloneSession;

describe('node activity', () => {
  const sessions = [
    session('s3aaaaaaaa', 'cloning', 'a', 'b', 'swap'),
    session('s2', 'completed', 'b', 'a'),
    session('s1', 'failed', 'c', 'a'),
  ];
  it('lists the sessions of a node with its role', () => {
    expect(sessionsOfNode(sessions, 'a').map(({ session: s, role }) => `${s.id}:${role}`)).toEqual([
      's3aaaaaaaa:source',
      's2:target',
      's1:target',
    ]);
  });
  it('says what the node is doing now', () => {
    expect(activityText(sessions, 'b', (s) => s.toUpperCase())).toBe('Target of swap (CLONING)');
    expect(activityText(sessions, 'c', (s) => s)).toBe('Idle');
  });
});
