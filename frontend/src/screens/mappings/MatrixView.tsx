import { memo } from "preact/compat";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Swatch } from "../../components/Swatch";
import { type RowHints, filterMatrix, hintColor, matrixColumns, toggled } from "./matrix";
import type { Row } from "./rows";
import type { RowMarks } from "./RowTable";

interface Focus {
  sid: number;
  col: number;
}

const PAGE_ROWS = 10;
/** A body row's height in px (styles.css `.mx tbody tr`): rows out of view are not rendered. */
const ROW_H = 21;
/** A cell column's width in px (styles.css `.mx td`, border included), and the row header's. */
const COL_W = 21;
const HEAD_W = 181;
/** Rows and columns rendered beyond the visible ones on each side; the window moves by it. */
const OVERSCAN = 6;

/** The rendered window: first row and column (among the filtered ones) and how many fit. */
interface Window {
  row: number;
  col: number;
  rows: number;
  cols: number;
}

const start = (offset: number, size: number) => Math.max(0, Math.floor(offset / size / OVERSCAN) * OVERSCAN - OVERSCAN);
const cellId = (sid: number, col: number) => `mx-${sid}-${col}`;

/**
 * Source classes x extra labels, one checkbox cell per pair, editing the same draft as the
 * row view. Fast at 134 x 134: rows are memoised on their own props (labels, marks, hints),
 * clicks and keys are handled once on the table, the pointer's and focus's row/column
 * highlight is one generated style rule, so a toggle or a move re-renders one row at most,
 * and only the cells in view (plus an overscan) are in the DOM, which bounds the first render.
 */
export function MatrixView(props: {
  rows: Row[];
  extraNames: string[];
  colors: Map<number, string | null | undefined>;
  marks: RowMarks;
  verification?: Map<number, string>;
  hints?: Map<number, RowHints>;
  onChange: (sourceId: number, labels: string[]) => void;
}) {
  const { marks, rows } = props;
  const [text, setText] = useState("");
  const [hover, setHover] = useState<number>();
  const [focus, setFocus] = useState<Focus>();
  const [heat, setHeat] = useState(true);
  const wrap = useRef<HTMLDivElement>(null);
  const [win, setWin] = useState<Window>({ row: 0, col: 0, rows: 40, cols: 40 });
  // Keyed by content: a toggle changes `rows`, but the columns only when a stray label comes or goes.
  const strayKey = matrixColumns(props.extraNames, rows).stray;
  const namesKey = [...props.extraNames, "\u0000", ...strayKey].join("\n");
  const columns = useMemo(() => matrixColumns(props.extraNames, rows), [namesKey]);
  const visible = useMemo(() => filterMatrix(rows, columns.names, text), [rows, columns, text]);
  const colsKey = visible.cols.join(",");
  const cols = useMemo(() => visible.cols, [colsKey]);
  const lintByRow = new Map<number, string[]>();
  for (const key of marks.lintCells) {
    const [sid, k] = key.split(":").map(Number);
    const label = rows.find((r) => r.source_id === sid)?.extra_labels?.[k];
    if (label !== undefined) lintByRow.set(sid, [...(lintByRow.get(sid) ?? []), label]);
  }

  const rowOf = (sid: number) => rows.find((r) => r.source_id === sid);
  function toggle(sid: number, col: number) {
    const row = rowOf(sid);
    if (row) props.onChange(sid, toggled(row, columns.names[col]));
  }

  function cellAt(target: EventTarget | null): Focus | undefined {
    const cell = (target as HTMLElement | null)?.closest?.("td[data-c]");
    const tr = cell?.closest("tr[data-sid]");
    if (!cell || !tr) return undefined;
    return { sid: Number(tr.getAttribute("data-sid")), col: Number(cell.getAttribute("data-c")) };
  }

  function onKey(e: KeyboardEvent) {
    const vr = visible.rows;
    if (!vr.length || !cols.length) return;
    const here = focus ?? { sid: vr[0].source_id, col: cols[0] };
    let r = Math.max(0, vr.findIndex((x) => x.source_id === here.sid));
    let c = Math.max(0, cols.indexOf(here.col));
    const last = (n: number) => n - 1;
    switch (e.key) {
      case "ArrowUp": r = Math.max(0, r - 1); break;
      case "ArrowDown": r = Math.min(last(vr.length), r + 1); break;
      case "ArrowLeft": c = Math.max(0, c - 1); break;
      case "ArrowRight": c = Math.min(last(cols.length), c + 1); break;
      case "PageUp": r = Math.max(0, r - PAGE_ROWS); break;
      case "PageDown": r = Math.min(last(vr.length), r + PAGE_ROWS); break;
      case "Home": c = 0; if (e.ctrlKey) r = 0; break;
      case "End": c = last(cols.length); if (e.ctrlKey) r = last(vr.length); break;
      case " ":
      case "Enter":
        e.preventDefault();
        if (focus) toggle(focus.sid, focus.col);
        else setFocus(here);
        return;
      default:
        return;
    }
    e.preventDefault();
    setFocus({ sid: vr[r].source_id, col: cols[c] });
  }

  const onScroll = () => {
    const el = wrap.current;
    if (!el) return;
    const next: Window = {
      row: start(el.scrollTop, ROW_H),
      col: start(el.scrollLeft, COL_W),
      rows: Math.ceil(el.clientHeight / ROW_H),
      cols: Math.ceil(Math.max(0, el.clientWidth - HEAD_W) / COL_W),
    };
    setWin((w) => (w.row === next.row && w.col === next.col && w.rows === next.rows && w.cols === next.cols ? w : next));
  };
  useEffect(onScroll, []);
  const rowSpan = win.rows + 2 * OVERSCAN;
  const colSpan = win.cols + 2 * OVERSCAN;
  useEffect(() => {
    if (!focus) return;
    const el = wrap.current;
    const r = visible.rows.findIndex((x) => x.source_id === focus.sid);
    const c = cols.indexOf(focus.col);
    // A cell outside the rendered window is scrolled to first; the scroll renders it.
    if (el && (r < win.row || r >= win.row + rowSpan)) el.scrollTop = Math.max(0, (r - win.rows / 2) * ROW_H);
    if (el && (c < win.col || c >= win.col + colSpan)) el.scrollLeft = Math.max(0, (c - win.cols / 2) * COL_W);
    requestAnimationFrame(() =>
      document.getElementById(cellId(focus.sid, focus.col))?.scrollIntoView({ block: "nearest", inline: "nearest" }),
    );
  }, [focus]);
  const shownRows = visible.rows.slice(win.row, win.row + rowSpan);
  const below = Math.max(0, visible.rows.length - win.row - shownRows.length);
  const shownKey = `${colsKey}|${win.col}|${colSpan}`;
  const shownCols = useMemo(() => cols.slice(win.col, win.col + colSpan), [shownKey]);
  const gaps = { left: win.col * COL_W, right: Math.max(0, cols.length - win.col - shownCols.length) * COL_W };

  const shown = hover ?? focus?.col;
  // Numbers only go into this rule: ids and column indexes, never user text.
  const highlight = [
    shown !== undefined && `.mx [data-c="${shown}"] { box-shadow: inset 0 0 0 999px rgba(9, 105, 218, 0.09); }`,
    focus && `.mx tr[data-sid="${focus.sid}"] > * { box-shadow: inset 0 0 0 999px rgba(9, 105, 218, 0.09); }`,
    focus && `#${cellId(focus.sid, focus.col)} { outline: 2px solid #0969da; outline-offset: -2px; }`,
  ]
    .filter(Boolean)
    .join("\n");
  const hints = heat ? props.hints : undefined;
  return (
    <div class="card mx-card" data-testid="mapping-matrix">
      <div class="row" style={{ marginBottom: "8px" }}>
        <input
          class="input small"
          style={{ width: "240px" }}
          placeholder="Filter classes and labels"
          aria-label="filter matrix"
          data-testid="matrix-filter"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <span class="muted small" data-testid="matrix-size">
          {visible.rows.length} × {cols.length} shown
        </span>
        <span class="spacer" />
        {props.hints && props.hints.size > 0 && (
          <label class="small row" style={{ gap: "4px" }}>
            <input type="checkbox" checked={heat} aria-label="show suggestion heatmap" onChange={() => setHeat(!heat)} />
            heatmap
          </label>
        )}
        <MatrixKey />
      </div>
      <style>{highlight}</style>
      <div class="mx-wrap" ref={wrap} onScroll={onScroll} onMouseLeave={() => setHover(undefined)}>
        <table
          class="mx"
          role="grid"
          tabIndex={0}
          aria-label="mapping matrix: source classes by extra labels"
          aria-rowcount={visible.rows.length + 1}
          aria-activedescendant={focus ? cellId(focus.sid, focus.col) : undefined}
          onKeyDown={onKey}
          onFocus={() => !focus && visible.rows.length && cols.length && setFocus({ sid: visible.rows[0].source_id, col: cols[0] })}
          onMouseOver={(e) => {
            const c = Number((e.target as HTMLElement).closest?.("[data-c]")?.getAttribute("data-c") ?? NaN);
            if (!Number.isNaN(c) && c !== hover) setHover(c);
          }}
          onClick={(e) => {
            const at = cellAt(e.target);
            if (!at) return;
            setFocus(at);
            toggle(at.sid, at.col);
          }}
        >
          <MatrixHead cols={shownCols} left={gaps.left} right={gaps.right} names={columns.names} stray={columns.stray} />
          <tbody>
            {win.row > 0 && <tr class="mx-gap" aria-hidden="true" style={{ height: `${win.row * ROW_H}px` }} />}
            {shownRows.map((r, i) => (
              <MatrixRow
                key={r.source_id}
                index={win.row + i}
                row={r}
                cols={shownCols}
                left={gaps.left}
                right={gaps.right}
                names={columns.names}
                stray={columns.stray}
                color={props.colors.get(r.source_id)}
                added={marks.added.get(r.source_id)}
                removed={marks.removed.get(r.source_id)}
                lint={lintByRow.get(r.source_id)?.join("\n")}
                severity={marks.lint.get(r.source_id)}
                verified={props.verification?.get(r.source_id)}
                hints={hints?.get(r.source_id)}
              />
            ))}
            {below > 0 && <tr class="mx-gap" aria-hidden="true" style={{ height: `${below * ROW_H}px` }} />}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function MatrixKey() {
  return (
    <span class="mx-key small muted" aria-label="matrix legend">
      <i class="mx-k on" /> mapped <i class="mx-k on add" /> added <i class="mx-k rm" /> removed <i class="mx-k lint" /> lint
    </span>
  );
}

/** The cells standing for the columns left and right of the rendered window. */
function Gap(props: { width: number; head?: boolean }) {
  if (!props.width) return null;
  const style = { width: `${props.width}px`, minWidth: `${props.width}px` };
  return props.head ? <th class="mx-gap" aria-hidden="true" style={style} /> : <td class="mx-gap" aria-hidden="true" style={style} />;
}

const MatrixHead = memo(function MatrixHead(props: { cols: number[]; left: number; right: number; names: string[]; stray: Set<string> }) {
  return (
    <thead>
      <tr>
        <th class="mx-corner">Source class \ extra label</th>
        <Gap width={props.left} head />
        {props.cols.map((i) => {
          const name = props.names[i];
          const stray = props.stray.has(name);
          return (
            <th key={i} data-c={i} class={`mx-col${stray ? " stray" : ""}`} title={stray ? `${name} (not in the extra taxonomy)` : name}>
              <span>{name}</span>
            </th>
          );
        })}
        <Gap width={props.right} head />
      </tr>
    </thead>
  );
});

const MatrixRow = memo(function MatrixRow(props: {
  row: Row;
  /** Its place among the filtered rows (aria-rowindex: the header is row 1). */
  index: number;
  cols: number[];
  left: number;
  right: number;
  names: string[];
  stray: Set<string>;
  color?: string | null;
  added?: Set<string>;
  removed?: string[];
  /** Labels lint findings point at, one a line (a string, so an unchanged row stays equal). */
  lint?: string;
  severity?: string;
  verified?: string;
  hints?: RowHints;
}) {
  const { row } = props;
  const labels = new Set(row.extra_labels ?? []);
  const lint = new Set(props.lint?.split("\n") ?? []);
  const removed = new Set(props.removed ?? []);
  const sev = props.severity;
  return (
    <tr data-sid={row.source_id} data-source={row.source_name} aria-rowindex={props.index + 2} class={sev === "error" ? "hl-error" : sev ? "hl" : ""}>
      <th scope="row" class="mx-row" title={`${row.source_name} (${row.source_id})`}>
        <Swatch color={props.color} />
        <span class="mx-name">{row.source_name}</span>
        {props.verified && <span class={`badge ${props.verified}`}>{props.verified}</span>}
      </th>
      <Gap width={props.left} />
      {props.cols.map((i) => {
        const label = props.names[i];
        const on = labels.has(label);
        const hint = props.hints?.get(label);
        const cls = [
          on && "on",
          on && props.added?.has(label) && "add",
          !on && removed.has(label) && "rm",
          on && lint.has(label) && "lint",
          on && props.verified === "verified" && "ver",
          props.stray.has(label) && "stray",
        ]
          .filter(Boolean)
          .join(" ");
        return (
          <td
            key={i}
            id={cellId(row.source_id, i)}
            data-c={i}
            class={cls}
            aria-selected={on ? "true" : "false"}
            aria-label={`${row.source_name} · ${label}`}
            data-hint={hint?.kind}
            style={hint ? { backgroundColor: hintColor(hint) } : undefined}
            title={hint ? `${row.source_name} · ${label}: ${hint.kind} ${hint.score.toFixed(2)}` : undefined}
          />
        );
      })}
      <Gap width={props.right} />
    </tr>
  );
});
