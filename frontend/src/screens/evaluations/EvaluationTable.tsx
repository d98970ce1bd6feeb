import { useState } from "preact/hooks";
import type { Schemas } from "../../api/client";
import { pct, when } from "../../lib/format";
import { href, navigate } from "../../lib/router";

/** Evaluations newest first; tick two to see them side by side. */
export function EvaluationTable(props: { items: Schemas["EvaluationRead"][]; modelName: (id?: number | null) => string | undefined }) {
  const [picked, setPicked] = useState<number[]>([]);
  const toggle = (id: number) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id].slice(-2)));
  return (
    <>
      <div class="row" style={{ marginBottom: "8px" }}>
        <button class="btn" disabled={picked.length !== 2} onClick={() => navigate("evaluations/compare", { ids: picked.join(",") })}>
          Compare side by side
        </button>
        <span class="muted small">{picked.length === 2 ? "" : "tick two evaluations"}</span>
      </div>
      <div class="table-wrap">
        <table class="table" data-testid="evaluation-table">
          <thead>
            <tr>
              <th />
              <th class="num">#</th>
              <th>Subject</th>
              <th>Model</th>
              <th>Job</th>
              <th class="num">mIoU</th>
              <th class="num">Frames</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((e) => (
              <tr key={e.id}>
                <td>
                  <input type="checkbox" aria-label={`pick evaluation ${e.id}`} checked={picked.includes(e.id)} onChange={() => toggle(e.id)} />
                </td>
                <td class="num mono">
                  <a href={href(`evaluations/${e.id}`)}>{e.id}</a>
                </td>
                <td class="mono small">
                  <a href={href(`evaluations/${e.id}`)}>{e.subject}</a>
                </td>
                <td>{e.model_id == null ? "—" : <a href={href(`models/${e.model_id}`)}>{props.modelName(e.model_id) ?? `#${e.model_id}`}</a>}</td>
                <td>{e.job_id == null ? "—" : <a href={href(`jobs/${e.job_id}`)}>#{e.job_id}</a>}</td>
                <td class="num">{pct(e.mean_iou)}</td>
                <td class="num">{e.frames}</td>
                <td class="muted">{when(e.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
