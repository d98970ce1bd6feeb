import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import type { JobParams } from "../../api/jobKinds";
import { ErrorBox } from "../../components/Async";
import { Card } from "../../components/Page";
import type { PreviewChoice } from "./previewChoice";

const LAYERS = ["pseudo_label", "prediction", "difference"] as const;

/**
 * The constrained pseudo-label of this frame for a teacher model and a mapping revision,
 * re-applied by the server to the teacher's cached output (a `preview` job fills the cache).
 * The model and mapping picked here are `choice`, which the frame view's layers use too.
 */
const FINAL = ["succeeded", "failed", "cancelled"];
const NOT_CACHED = "no cached teacher probabilities";

export function PreviewPanel(props: { frameId: number; datasetId: number; choice: PreviewChoice }) {
  const { choice } = props;
  const [layer, setLayer] = useState<(typeof LAYERS)[number]>("pseudo_label");
  const [error, setError] = useState<string>();
  const [running, setRunning] = useState<string>();
  const { models, mappings, model, mapping } = choice;
  const url = choice.url(props.frameId, layer);

  // An <img> cannot show the server's message; fetch it so the detail is shown verbatim.
  async function explain() {
    choice.setAvailable(false);
    const r = await fetch(url);
    const body = await r.json().catch(() => ({ detail: `preview failed (HTTP ${r.status})` }));
    setError(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  }

  // Fill the cache for this frame: a `preview` job named by ids only (the server finds the files).
  async function runTeacher() {
    setRunning("queued");
    try {
      const params: JobParams["preview"] = { model: { id: Number(model) }, dataset_id: props.datasetId, frame_ids: [props.frameId] };
      let job = await unwrap(api.POST("/api/jobs", { body: { kind: "preview", params } }));
      while (!FINAL.includes(job.status)) {
        setRunning(job.status);
        await new Promise((done) => setTimeout(done, 500));
        job = await unwrap(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: job.id } } }));
      }
      if (job.status !== "succeeded") throw new Error(job.error ?? `preview job ${job.id} ${job.status}`);
      setError(undefined);
      choice.retry();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setRunning(undefined);
    }
  }

  return (
    <Card title="Pseudo-label preview">
      {choice.error && <ErrorBox message={choice.error} />}
      {choice.loaded && (!models.length || !mappings.length) ? (
        <div class="muted small">
          {!models.length ? "No teacher model registered yet." : "No mapping from this dataset's taxonomy yet."}
        </div>
      ) : (
        <>
          <div class="row" style={{ marginBottom: "8px" }}>
            <select class="input small" aria-label="teacher model" value={model} onChange={(e) => { setError(undefined); choice.setModel((e.target as HTMLSelectElement).value); }}>
              {models.map((m) => (
                <option key={m.id} value={String(m.id)}>
                  {m.name}
                </option>
              ))}
            </select>
            <select class="input small" aria-label="mapping" value={mapping} onChange={(e) => { setError(undefined); choice.setMapping((e.target as HTMLSelectElement).value); }}>
              {mappings.map((m) => (
                <option key={m.id} value={String(m.id)}>
                  {m.name} (rev {m.head_revision})
                </option>
              ))}
            </select>
            <select class="input small" aria-label="layer" value={layer} onChange={(e) => { setError(undefined); setLayer((e.target as HTMLSelectElement).value as (typeof LAYERS)[number]); }}>
              {LAYERS.map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          </div>
          {error && <ErrorBox message={error} />}
          {error?.includes(NOT_CACHED) && (
            <button class="btn" disabled={!!running} onClick={runTeacher}>
              {running ? `Teacher running (${running})…` : "Run the teacher on this frame"}
            </button>
          )}
          {url && !error && <img class="preview" src={url} alt="pseudo-label preview" onLoad={() => choice.setAvailable(true)} onError={explain} />}
        </>
      )}
    </Card>
  );
}
