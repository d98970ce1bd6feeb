// Pure helpers of the matrix view: its columns, the name filter, and suggestion cells by row.
import type { Schemas } from "../../api/client";
import type { Row } from "./rows";

export type Suggestions = Schemas["SuggestionsRead"];

/** What a suggest job says about one cell: add it, remove it, or how much it is overruled. */
export interface CellHint {
  kind: "add" | "remove" | "conflict";
  score: number;
}

/** Extra-label hints of one row, by label. */
export type RowHints = Map<string, CellHint>;

export interface Columns {
  names: string[];
  /** Labels rows name that the extra taxonomy lacks (shown as marked columns after it). */
  stray: Set<string>;
}

/** The taxonomy's labels in order, then labels rows name that it lacks, in first-seen order. */
export function matrixColumns(extraNames: string[], rows: Row[]): Columns {
  const known = new Set(extraNames);
  const stray = new Set<string>();
  for (const r of rows) for (const l of r.extra_labels ?? []) if (!known.has(l)) stray.add(l);
  return { names: [...extraNames, ...stray], stray };
}

const matches = (name: string, needle: string) => name.toLowerCase().includes(needle);

/**
 * Rows and column indexes a name filter keeps: both are filtered by the same text; when it
 * names no row (a label was typed) every row stays, and when it names no column every
 * column stays, so one box finds either.
 */
export function filterMatrix(rows: Row[], columns: string[], text: string): { rows: Row[]; cols: number[] } {
  const needle = text.trim().toLowerCase();
  const all = columns.map((_, i) => i);
  if (!needle) return { rows, cols: all };
  const keptRows = rows.filter((r) => matches(r.source_name, needle));
  const keptCols = all.filter((i) => matches(columns[i], needle));
  return { rows: keptRows.length ? keptRows : rows, cols: keptCols.length ? keptCols : all };
}

/**
 * Hints by source id: the ranked add and remove cells, then the heatmap's conflict score
 * (mean overruled mass) of every other cell it judged. Rows are matched by source name.
 */
export function hintsByRow(s: Suggestions | undefined, rows: Row[]): Map<number, RowHints> {
  const out = new Map<number, RowHints>();
  if (!s) return out;
  const sid = new Map(rows.map((r) => [r.source_name.trim(), r.source_id]));
  const put = (source: string, label: string, hint: CellHint) => {
    const id = sid.get(source.trim());
    if (id === undefined) return;
    const row = out.get(id) ?? new Map<string, CellHint>();
    if (!row.has(label)) row.set(label, hint);
    out.set(id, row);
  };
  for (const c of s.add) put(c.source, c.extra, { kind: "add", score: c.score });
  for (const c of s.remove) put(c.source, c.extra, { kind: "remove", score: c.score });
  const m = s.matrix;
  m.conflict.forEach((line, e) =>
    line.forEach((v, c) => {
      if (v !== null && v > 0) put(m.source[c], m.extra[e], { kind: "conflict", score: v });
    }),
  );
  return out;
}

/** The cell's background for a hint: hue by kind, opacity by score. */
export function hintColor(h: CellHint): string {
  const alpha = (0.18 + 0.62 * Math.min(1, Math.max(0, h.score))).toFixed(2);
  if (h.kind === "add") return `rgba(26, 127, 55, ${alpha})`;
  if (h.kind === "remove") return `rgba(207, 34, 46, ${alpha})`;
  return `rgba(210, 140, 0, ${alpha})`;
}

/** Toggles `label` in the row's labels (appended when added, as the row view does). */
export function toggled(row: Row, label: string): string[] {
  const labels = row.extra_labels ?? [];
  return labels.includes(label) ? labels.filter((l) => l !== label) : [...labels, label];
}
