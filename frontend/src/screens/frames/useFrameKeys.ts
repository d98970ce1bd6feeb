import { useEffect, useRef } from "preact/hooks";
import { isTyping } from "./layers";

/** Window key presses by `key` (j, ArrowRight, 1, o…), except while typing in a field or
 * with a modifier held (browser shortcuts stay the browser's). */
export function useFrameKeys(handlers: Record<string, () => void>): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const run = latest.current[e.key];
      if (!run) return;
      e.preventDefault();
      run();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);
}
