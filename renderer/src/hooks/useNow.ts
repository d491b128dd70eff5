import { useEffect, useState } from 'react';

/** The current time, refreshed every `ms`: relative times ("2 min ago") move without any data changing. */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
