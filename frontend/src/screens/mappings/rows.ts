// Pure helpers over mapping rows: diffs between revisions and re-applying a user's edits.
import type { Schemas } from "../../api/client";

export type Row = Schemas["MappingRowSchema"];

/** What one row gained and lost between two versions of a mapping. */
export interface RowChange {
  source_id: number;
  source_name: string;
  added: string[];
  removed: string[];
}

const key = (r: Row) => r.source_id;

/** Per-row label changes from `before` to `after` (rows matched by `source_id`). */
export function diffRows(before: Row[], after: Row[]): RowChange[] {
  const old = new Map(before.map((r) => [key(r), r]));
  const changes: RowChange[] = [];
  const seen = new Set<number>();
  for (const r of after) {
    seen.add(key(r));
    const prev = new Set(old.get(key(r))?.extra_labels ?? []);
    const next = new Set(r.extra_labels ?? []);
    const added = [...next].filter((l) => !prev.has(l));
    const removed = [...prev].filter((l) => !next.has(l));
    if (added.length || removed.length) changes.push({ source_id: r.source_id, source_name: r.source_name, added, removed });
  }
  for (const r of before) {
    if (!seen.has(key(r)) && (r.extra_labels ?? []).length)
      changes.push({ source_id: r.source_id, source_name: r.source_name, added: [], removed: [...(r.extra_labels ?? [])] });
  }
  return changes;
}

/**
 * Replays `edits` (my changes against the revision I started from) onto `rows`
 * (the newer head): labels I added are added, labels I removed are removed, rows I did
 * not touch keep the other person's content.
 */
export function reapply(rows: Row[], edits: RowChange[]): Row[] {
  const bySource = new Map(edits.map((e) => [e.source_id, e]));
  return rows.map((r) => {
    const e = bySource.get(r.source_id);
    if (!e) return r;
    const labels = (r.extra_labels ?? []).filter((l) => !e.removed.includes(l));
    for (const l of e.added) if (!labels.includes(l)) labels.push(l);
    return { ...r, extra_labels: labels };
  });
}

export function setLabels(rows: Row[], sourceId: number, labels: string[]): Row[] {
  return rows.map((r) => (r.source_id === sourceId ? { ...r, extra_labels: labels } : r));
}

export function changeCount(changes: RowChange[]): number {
  return changes.reduce((n, c) => n + c.added.length + c.removed.length, 0);
}
