import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { errorText } from "../../api/client";
import { type FrameItem, type FrameRule, fetchFrames } from "./frameRule";

export const PAGE = 100;
/** Pages kept either side of the wanted ones; farther ones are dropped (refetched if needed). */
const KEEP = 8;

export interface FramePages {
  /** How many frames the rule picks; undefined until the first page is back. */
  total: number | undefined;
  error: string | undefined;
  /** The frame at `index` if its page is loaded. */
  at: (index: number) => FrameItem | undefined;
  /** Ask for the pages holding frames `first…end-1`: missing ones are fetched, fetches of
   * pages no longer near them are aborted, far pages are dropped from the cache. */
  want: (first: number, end: number) => void;
}

/** A rule's frames, fetched a page at a time by offset as the grid needs them. */
export function useFramePages(datasetId: number, rule: FrameRule, ruleKey: string): FramePages {
  const pages = useRef(new Map<number, FrameItem[]>());
  const flying = useRef(new Map<number, AbortController>());
  const [total, setTotal] = useState<number>();
  const [error, setError] = useState<string>();
  const [, setVersion] = useState(0);
  const latestRule = useRef(rule);
  latestRule.current = rule;

  useEffect(() => {
    pages.current = new Map();
    setTotal(undefined);
    setError(undefined);
    const inFlight = flying.current;
    return () => {
      inFlight.forEach((c) => c.abort());
      inFlight.clear();
    };
  }, [datasetId, ruleKey]);

  const want = useCallback(
    (first: number, end: number) => {
      const from = Math.floor(first / PAGE);
      const to = Math.floor(Math.max(first, end - 1) / PAGE);
      for (const [page, ctrl] of flying.current) {
        if (page < from - 1 || page > to + 1) {
          ctrl.abort();
          flying.current.delete(page);
        }
      }
      for (const page of pages.current.keys()) if (page < from - KEEP || page > to + KEEP) pages.current.delete(page);
      const cache = pages.current;
      for (let page = from; page <= to; page++) {
        if (cache.has(page) || flying.current.has(page)) continue;
        const ctrl = new AbortController();
        flying.current.set(page, ctrl);
        fetchFrames(datasetId, latestRule.current, page * PAGE, PAGE, ctrl.signal).then(
          (w) => {
            if (ctrl.signal.aborted || cache !== pages.current) return;
            flying.current.delete(page);
            cache.set(page, w.items);
            setTotal(w.total);
            setVersion((v) => v + 1);
          },
          (e) => {
            if (ctrl.signal.aborted) return;
            flying.current.delete(page);
            setError(errorText(e));
          },
        );
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [datasetId, ruleKey],
  );

  const at = (index: number) => pages.current.get(Math.floor(index / PAGE))?.[index % PAGE];
  return { total, error, at, want };
}
