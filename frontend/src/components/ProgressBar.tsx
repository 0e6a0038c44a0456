import { clampPercent, formatPercent } from '../lib/format';
import type { BarTone } from '../lib/stall';

interface ProgressBarProps {
  percent: number | null | undefined;
  /** What is progressing, for screen readers ("Progress of nightly-clone"). */
  label: string;
  /** Colour by state (lib/stall.ts barTone); the words beside the bar say the same. */
  tone?: BarTone;
}

/** A determinate progress bar with its percentage written beside it. */
export function ProgressBar({ percent, label, tone = 'running' }: ProgressBarProps) {
  const value = Number(clampPercent(percent ?? 0).toFixed(1));
  return (
    <div className={`progress progress-${tone}`} data-tone={tone}>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={formatPercent(value)}
      >
        <div className="progress-fill" style={{ width: `${value}%` }} />
      </div>
      <span className="progress-text">{formatPercent(value)}</span>
    </div>
  );
}
