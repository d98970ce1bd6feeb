// Reading lint findings (ontolabel.domain.lint): where they point and how to apply a fix.
// `row` is the 0-based index into the rows; `column` is the CSV column (2 = source name,
// 3 + k = the k-th extra label); `suggestion` is replacement text, or for `unmapped-label`
// the name of the source row to add the label to.
import type { Schemas } from "../../api/client";
import type { Row } from "./rows";

export type Finding = Schemas["FindingRead"] & {
  row?: number | null;
  column?: number | null;
  line?: number | null;
  suggestion?: string | null;
};

const FIRST_LABEL_COLUMN = 3;

/** The source row a finding is about, if any. */
export function findingSourceId(f: Finding, rows: Row[]): number | undefined {
  return typeof f.row === "number" ? rows[f.row]?.source_id : undefined;
}

/** Index of the extra label (chip) in its row that a finding points at, if any. */
export function findingLabelIndex(f: Finding): number | undefined {
  return typeof f.column === "number" && f.column >= FIRST_LABEL_COLUMN ? f.column - FIRST_LABEL_COLUMN : undefined;
}

/** The extra label an `unmapped-label` finding is about (named in its message). */
export function unmappedLabel(f: Finding): string | undefined {
  if (f.code !== "unmapped-label") return undefined;
  return /^extra label (?:'([^']*)'|"([^"]*)")/.exec(f.message)?.slice(1).find((x) => x !== undefined);
}

/** The extra label a finding names: the cell it points at, or the unmapped label. */
export function findingLabel(f: Finding, rows: Row[]): string | undefined {
  const k = findingLabelIndex(f);
  const row = typeof f.row === "number" ? rows[f.row] : undefined;
  return (row && k !== undefined ? row.extra_labels?.[k] : undefined) ?? unmappedLabel(f);
}

/** The rows after applying the finding's suggestion, or undefined when it has none. */
export function applySuggestion(f: Finding, rows: Row[], dedupe = true): Row[] | undefined {
  const s = f.suggestion;
  if (!s) return undefined;
  if (f.code === "unmapped-label") {
    const label = unmappedLabel(f);
    const target = rows.find((r) => r.source_name.trim() === s);
    if (!label || !target) return undefined;
    return rows.map((r) => (r === target ? { ...r, extra_labels: [...(r.extra_labels ?? []), label] } : r));
  }
  if (typeof f.row !== "number" || !rows[f.row]) return undefined;
  if (f.column === 2) return rows.map((r, i) => (i === f.row ? { ...r, source_name: s } : r));
  const k = findingLabelIndex(f);
  if (k === undefined) return undefined;
  // "a, b" is the fix for two labels run together: it becomes two chips.
  const replacement = s.split(", ").filter(Boolean);
  return rows.map((r, i) => {
    if (i !== f.row) return r;
    const labels = [...(r.extra_labels ?? [])];
    labels.splice(k, 1, ...replacement);
    return { ...r, extra_labels: dedupe ? [...new Set(labels)] : labels };
  });
}

export function suggestionText(f: Finding): string | undefined {
  if (!f.suggestion) return undefined;
  if (f.code === "unmapped-label") return `add it to row “${f.suggestion}”`;
  if (f.column === 2) return `rename the row to “${f.suggestion}”`;
  return `use “${f.suggestion}”`;
}

/**
 * Applies every applicable suggestion of `findings` at once, from the last cell backwards
 * so a fix that splits a cell in two cannot shift the cells still to be fixed.
 */
export function applyAll(findings: Finding[], rows: Row[]): Row[] {
  const ordered = [...findings].sort((a, b) => (b.row ?? -1) - (a.row ?? -1) || (b.column ?? -1) - (a.column ?? -1));
  // Merge duplicates only at the end: merging midway would move cells not yet fixed.
  const fixed = ordered.reduce((acc, f) => applySuggestion(f, acc, false) ?? acc, rows);
  return fixed.map((r) => ({ ...r, extra_labels: [...new Set(r.extra_labels ?? [])] }));
}
