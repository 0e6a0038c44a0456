import { describe, expect, it } from 'vitest';
import { reconnectDelay } from './backoff';

describe('reconnectDelay', () => {
  it('starts at half a second and doubles', () => {
    const max = () => 1;
    expect([0, 1, 2, 3, 4].map((n) => reconnectDelay(n, max))).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it('stops growing at ten seconds', () => {
    expect(reconnectDelay(5, () => 1)).toBe(10_000);
    expect(reconnectDelay(50, () => 1)).toBe(10_000);
  });

  it('jitters within the upper half of each step', () => {
    expect(reconnectDelay(0, () => 0)).toBe(250);
    expect(reconnectDelay(5, () => 0)).toBe(5000);
  });
});
