// A time shown relative to now, the absolute time on hover.
import { absolute, relative } from './format';
import { useNow } from './hooks';

export function Time({ iso }: { iso: string }) {
  const now = useNow(15_000);
  return (
    <time dateTime={iso} title={absolute(iso)}>
      {relative(iso, now)}
    </time>
  );
}
