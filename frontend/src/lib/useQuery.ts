import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "../api/client";

export interface Query<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

/** Loads `load()` whenever `deps` change; stale answers from older deps are dropped. */
export function useQuery<T>(load: () => Promise<T>, deps: unknown[]): Query<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const lastTick = useRef(tick);
  useEffect(() => {
    let live = true;
    // A reload keeps showing the current data; new deps (another id) must not show stale data.
    const reloading = lastTick.current !== tick;
    lastTick.current = tick;
    setState((s) => (reloading ? { ...s, loading: true } : { loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (e) => live && setState({ error: errorText(e), loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, data: state.data, error: state.error, reload };
}
