import { type RefObject } from "preact";
import { useEffect, useState } from "preact/hooks";

export interface VirtualRows {
  /** Tiles per row at the box's current width. */
  columns: number;
  /** First row to render (overscan included) and one past the last. */
  first: number;
  end: number;
  /** Where the first rendered row starts, and the height that stands for every row. */
  offset: number;
  height: number;
  /** Rows actually in view (no overscan): first and one past the last. */
  shownFirst: number;
  shownEnd: number;
}

/**
 * Which rows of fixed-size tiles a scrolling box shows: only those (plus `overscan` rows
 * either side) are rendered, so 140k frames cost as much as one screenful. Scroll events
 * are read once per animation frame.
 */
export function useVirtualRows(
  box: RefObject<HTMLElement | null>,
  layout: { items: number; tileWidth: number; rowHeight: number; gap: number; overscan: number },
): VirtualRows {
  const [view, setView] = useState({ top: 0, height: 0, width: 0 });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let frame = 0;
    const read = () => {
      frame = 0;
      setView({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(read);
    };
    read();
    el.addEventListener("scroll", onScroll, { passive: true });
    const resize = new ResizeObserver(read);
    resize.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      el.removeEventListener("scroll", onScroll);
      resize.disconnect();
    };
  }, [box]);
  const { items, tileWidth, rowHeight, gap, overscan } = layout;
  const columns = Math.max(1, Math.floor((view.width + gap) / (tileWidth + gap)));
  const rows = Math.ceil(items / columns);
  const shownFirst = Math.min(rows, Math.floor(view.top / rowHeight));
  const shownEnd = Math.min(rows, Math.ceil((view.top + view.height) / rowHeight));
  const first = Math.max(0, shownFirst - overscan);
  const end = Math.max(first, Math.min(rows, shownEnd + overscan));
  return { columns, first, end, offset: first * rowHeight, height: rows * rowHeight, shownFirst, shownEnd };
}
