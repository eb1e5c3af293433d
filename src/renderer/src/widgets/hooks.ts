// Small React hooks the views share.
import { useEffect, useState } from 'react';
import type { StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';

/** The current time, re-read every `ms`: for countdowns and relative times. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** A whole store's state (the views are small; selectors where it matters). */
export function useWhole<S>(store: StoreApi<S>): S {
  return useStore(store);
}
