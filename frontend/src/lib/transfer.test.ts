import { describe, expect, it } from 'vitest';
import { transferFigures } from './transfer';

const base = {
  status: 'cloning',
  started_at: '2026-11-29T10:00:00Z',
  completed_at: null,
  duration_seconds: null,
  bytes_total: 1000,
  bytes_transferred: 400,
  bytes_on_wire: null,
  transfer_phase: 'transferring',
  verified_bytes: null,
} as const;
const now = new Date('2026-11-29T10:01:30Z');

describe('transferFigures', () => {
  it('counts elapsed time while cloning, and no average yet', () => {
    expect(transferFigures(base, now)).toMatchObject({ elapsedSeconds: 90, averageRate: null, verifyPercent: null });
  });

  it('gives the average rate once completed, and no elapsed clock', () => {
    const done = { ...base, status: 'completed', duration_seconds: 4, bytes_transferred: 1000 } as const;
    expect(transferFigures(done, now)).toMatchObject({ elapsedSeconds: null, averageRate: 250 });
  });

  it('tells wire bytes from logical bytes', () => {
    expect(transferFigures({ ...base, bytes_on_wire: 100 }, now)).toMatchObject({ wireBytes: 100, skippedPercent: 75 });
    expect(transferFigures(base, now)).toMatchObject({ wireBytes: null, skippedPercent: null });
  });

  it('shows verify progress only while verifying', () => {
    const verifying = { ...base, bytes_transferred: 1000, transfer_phase: 'verifying', verified_bytes: 250 } as const;
    expect(transferFigures(verifying, now).verifyPercent).toBe(25);
    expect(transferFigures({ ...verifying, status: 'completed' }, now).verifyPercent).toBeNull();
  });
});
