import { useNow } from '../hooks/useNow';
import { formatDateTime, formatRelative, NONE } from '../lib/format';

/** "3 minutes ago", kept current, with the exact time on hover and for machines. */
export function RelativeTime({ value }: { value: string | null | undefined }) {
  const now = useNow();
  if (!value) return <span>{NONE}</span>;
  return (
    <time dateTime={value} title={formatDateTime(value)}>
      {formatRelative(value, now)}
    </time>
  );
}
