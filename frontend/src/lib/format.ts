/**
 * Human-readable numbers and times. Sizes and rates use one formatter,
 * binary units labelled as such (1 GiB = 2³⁰ bytes), as partitioning tools
 * and the kernel count: a 500 GB disk reads "465.8 GiB" on every page. The
 * exact byte count goes in a tooltip (components/Bytes.tsx).
 */

export const NONE = '—';

/** 1073741824 → "1.0 GiB"; whole bytes stay exact ("512 B"). */
export function formatBytes(bytes: number | null | undefined): string {
  return formatBinaryBytes(bytes);
}

/** 500107862016 → "500,107,862,016 bytes", for tooltips. */
export function exactBytes(bytes: number | null | undefined): string | undefined {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return undefined;
  return `${bytes.toLocaleString('en')} bytes`;
}

/** Bytes per second → "117.7 MiB/s". */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (!bytesPerSecond || bytesPerSecond <= 0) return NONE;
  return `${formatBytes(bytesPerSecond)}/s`;
}

export function formatPercent(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return NONE;
  return `${clampPercent(percent).toFixed(1)}%`;
}

export function clampPercent(percent: number): number {
  return Math.min(100, Math.max(0, percent));
}

/** Seconds left at the current rate, or null when it cannot be known. */
export function etaSeconds(
  transferred: number | null | undefined,
  total: number | null | undefined,
  rate: number | null | undefined,
): number | null {
  if (!total || !rate || rate <= 0 || transferred === null || transferred === undefined) return null;
  return Math.max(0, Math.ceil((total - transferred) / rate));
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A time left: "45s", "12m 03s", "2h 05m" (seconds stop mattering past an hour). */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return NONE;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

/** An elapsed time: "42s", "3m 05s", "1h 02m 03s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return NONE;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m ${pad(s % 60)}s`;
}

const RELATIVE_STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "3 minutes ago", "in 23 hours", "just now"; null or unparsable → "—". */
export function formatRelative(iso: string | null | undefined, now: Date = new Date(), locale = 'en'): string {
  const time = parseDate(iso);
  if (!time) return NONE;
  const diff = (time.getTime() - now.getTime()) / 1000;
  if (Math.abs(diff) < 45) return 'just now';
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(diff) >= size) return format.format(Math.round(diff / size), unit);
  }
  return format.format(Math.round(diff / 60), 'minute');
}

/** Absolute local date and time with the time zone ("Nov 25, 2026, 5:00:00 PM UTC"), for tooltips and detail pages. */
export function formatDateTime(iso: string | null | undefined, locale?: string): string {
  const time = parseDate(iso);
  return time ? time.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'long' }) : NONE;
}

/** Local time of day with seconds, for lists of events on one day. */
export function formatTime(iso: string | null | undefined, locale?: string): string {
  const time = parseDate(iso);
  return time ? time.toLocaleTimeString(locale, { timeStyle: 'medium' }) : NONE;
}

export function parseDate(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? null : time;
}

/** "clone.source_ready" or "CloneSourceReady" → "Clone source ready". */
export function humanizeIdentifier(value: string): string {
  const words = value
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[._-]+/g, ' ')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1073741824 → "1.0 GiB": binary units, labelled GiB/TiB (the one size formatter). */
export function formatBinaryBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return NONE;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${BINARY_UNITS[unit]}`;
}

/** The browser's time zone as a short label ("UTC", "CET", "GMT+2"), to say which zone times are in. */
export function timeZoneLabel(at: Date = new Date(), locale = 'en'): string {
  const part = new Intl.DateTimeFormat(locale, { timeZoneName: 'short' })
    .formatToParts(at)
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'local time';
}
