import type { Schemas } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { pct } from "../../lib/format";
import { href } from "../../lib/router";
import type { Query } from "../../lib/useQuery";
import { hintColor, type Suggestions } from "./matrix";
import type { Row } from "./rows";

type Cell = Schemas["SuggestedCell"];
const SHOWN = 12;

/** An evidence frame: a link to the frame view when a dataset holds it, else its path. */
function FrameRef(props: { path: string; ids: Record<string, number> }) {
  const id = props.ids[props.path];
  return id !== undefined ? (
    <a class="mono small" href={href(`frames/${id}`)}>
      {props.path}
    </a>
  ) : (
    <span class="mono small muted">{props.path}</span>
  );
}

function Frames(props: { frames: string[]; ids: Record<string, number> }) {
  if (!props.frames.length) return null;
  return (
    <div class="sg-frames">
      {props.frames.map((f) => (
        <FrameRef key={f} path={f} ids={props.ids} />
      ))}
    </div>
  );
}

/**
 * The newest suggest job's ranked cells: add and remove suggestions with one-click apply into
 * the draft (not saved), then the conflict ranking (suspect cells and frames to review first).
 */
export function SuggestionPanel(props: {
  mappingId: number;
  q: Query<Suggestions | null>;
  rows: Row[];
  onApply: (sourceId: number, labels: string[]) => void;
}) {
  const s = props.q.data;
  const suggest = href("jobs/new", { kind: "suggest", mapping_id: props.mappingId });
  const bySource = new Map(props.rows.map((r) => [r.source_name.trim(), r]));
  const has = (c: Cell) => bySource.get(c.source.trim())?.extra_labels?.includes(c.extra) ?? false;

  function item(c: Cell, kind: "add" | "remove") {
    const row = bySource.get(c.source.trim());
    const done = kind === "add" ? has(c) : !has(c);
    const labels = row?.extra_labels ?? [];
    return (
      <div key={`${kind}:${c.source}:${c.extra}`} class="sg-item" data-testid={`suggestion-${kind}`}>
        <div class="row" style={{ gap: "6px", flexWrap: "nowrap" }}>
          <i class="mx-k" style={{ backgroundColor: hintColor({ kind, score: c.score }) }} />
          <span class="sg-cell">
            <strong>{c.source}</strong> {kind === "add" ? "+" : "−"} {c.extra}
          </span>
          <span class="spacer" />
          <span class="muted small">{pct(c.score, 0)}</span>
          <button
            class="btn small"
            disabled={!row || done}
            aria-label={`${kind} ${c.extra} ${kind === "add" ? "to" : "from"} ${c.source}`}
            onClick={() => row && props.onApply(row.source_id, kind === "add" ? [...labels, c.extra] : labels.filter((l) => l !== c.extra))}
          >
            {done ? "applied" : kind === "add" ? "Add" : "Remove"}
          </button>
        </div>
        <Frames frames={c.frames} ids={s?.frame_ids ?? {}} />
      </div>
    );
  }

  return (
    <div class="card" data-testid="suggestions">
      <div class="card-head">
        <h2>Suggestions</h2>
        <a class="btn small" href={suggest} data-testid="suggest-link">
          Suggest…
        </a>
      </div>
      {props.q.error && <ErrorBox message={props.q.error} onRetry={props.q.reload} />}
      {props.q.loading && !s && <div class="muted small">Loading…</div>}
      {s === null && <div class="muted small">No suggest job has finished for this mapping yet. Run one to colour the matrix by what the teacher predicts.</div>}
      {s && (
        <>
          <div class="muted small" style={{ marginBottom: "6px" }}>
            From <a href={href(`jobs/${s.job_id}`)}>job {s.job_id}</a>
            {s.revision ? ` on revision ${s.revision}` : ""} · {s.frames} frames{s.errors ? ` (${s.errors} failed)` : ""}
          </div>
          <div class="mx-key small muted" aria-label="heatmap legend" data-testid="heatmap-legend" style={{ marginBottom: "8px" }}>
            <i class="mx-k" style={{ backgroundColor: hintColor({ kind: "add", score: 0.8 }) }} /> add
            <i class="mx-k" style={{ backgroundColor: hintColor({ kind: "remove", score: 0.8 }) }} /> remove
            <i class="mx-k" style={{ backgroundColor: hintColor({ kind: "conflict", score: 0.1 }) }} />
            <i class="mx-k" style={{ backgroundColor: hintColor({ kind: "conflict", score: 0.9 }) }} /> conflict (low → high)
          </div>
          <h3 class="small">Add ({s.add.length})</h3>
          {s.add.length ? s.add.slice(0, SHOWN).map((c) => item(c, "add")) : <div class="muted small">None.</div>}
          <h3 class="small">Remove ({s.remove.length})</h3>
          {s.remove.length ? s.remove.slice(0, SHOWN).map((c) => item(c, "remove")) : <div class="muted small">None.</div>}
          <h3 class="small">Review first: suspect cells</h3>
          {s.conflicts.cells.length ? (
            s.conflicts.cells.slice(0, SHOWN).map((c) => (
              <div key={`${c.source}:${c.extra}`} class="sg-item" data-testid="suggestion-conflict">
                <div class="row" style={{ gap: "6px", flexWrap: "nowrap" }}>
                  <i class="mx-k" style={{ backgroundColor: hintColor({ kind: "conflict", score: c.score }) }} />
                  <span class="sg-cell">
                    <strong>{c.source}</strong> · {c.extra}
                  </span>
                  <span class="spacer" />
                  <span class="muted small">{pct(c.score, 0)} overruled</span>
                </div>
                <Frames frames={c.frames} ids={s.frame_ids ?? {}} />
              </div>
            ))
          ) : (
            <div class="muted small">None.</div>
          )}
          <h3 class="small">Review first: frames</h3>
          {s.conflicts.frames.length ? (
            <div class="stack" style={{ gap: "2px" }} data-testid="suspect-frames">
              {s.conflicts.frames.slice(0, SHOWN).map((f) => (
                <div key={f.frame} class="row" style={{ flexWrap: "nowrap" }}>
                  <FrameRef path={f.frame} ids={s.frame_ids ?? {}} />
                  <span class="spacer" />
                  <span class="muted small">{pct(f.score, 0)}</span>
                </div>
              ))}
            </div>
          ) : (
            <div class="muted small">None.</div>
          )}
        </>
      )}
    </div>
  );
}
