import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { Card } from "../../components/Page";
import { useQuery } from "../../lib/useQuery";

const LAYERS = ["pseudo_label", "prediction", "difference"] as const;

/**
 * The constrained pseudo-label of this frame for a teacher model and a mapping revision,
 * re-applied by the server to the teacher's cached output (a `preview` job fills the cache).
 */
export function PreviewPanel(props: { frameId: number; extraTaxonomyId: number }) {
  const q = useQuery(async () => {
    const [models, mappings] = await Promise.all([
      unwrap(api.GET("/api/models")),
      unwrap(api.GET("/api/mappings", { params: { query: { extra_taxonomy_id: props.extraTaxonomyId } } })),
    ]);
    return { models: models.items, mappings: mappings.items };
  }, [props.extraTaxonomyId]);
  const [modelId, setModelId] = useState("");
  const [mappingId, setMappingId] = useState("");
  const [layer, setLayer] = useState<(typeof LAYERS)[number]>("pseudo_label");
  const [error, setError] = useState<string>();
  const models = q.data?.models ?? [];
  const mappings = q.data?.mappings ?? [];
  const model = modelId || String(models[0]?.id ?? "");
  const mapping = mappingId || String(mappings[0]?.id ?? "");
  const url = model && mapping ? `/api/frames/${props.frameId}/preview?model_id=${model}&mapping_id=${mapping}&layer=${layer}` : "";

  // An <img> cannot show the server's message; fetch it so the detail is shown verbatim.
  async function explain() {
    const r = await fetch(url);
    const body = await r.json().catch(() => ({ detail: `preview failed (HTTP ${r.status})` }));
    setError(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  }

  return (
    <Card title="Pseudo-label preview">
      {q.error && <ErrorBox message={q.error} />}
      {q.data && (!models.length || !mappings.length) ? (
        <div class="muted small">
          {!models.length ? "No teacher model registered yet." : "No mapping from this dataset's taxonomy yet."}
        </div>
      ) : (
        <>
          <div class="row" style={{ marginBottom: "8px" }}>
            <select class="input small" aria-label="teacher model" value={model} onChange={(e) => { setError(undefined); setModelId((e.target as HTMLSelectElement).value); }}>
              {models.map((m) => (
                <option key={m.id} value={String(m.id)}>
                  {m.name}
                </option>
              ))}
            </select>
            <select class="input small" aria-label="mapping" value={mapping} onChange={(e) => { setError(undefined); setMappingId((e.target as HTMLSelectElement).value); }}>
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
          {url && !error && <img class="preview" src={url} alt="pseudo-label preview" onError={explain} />}
        </>
      )}
    </Card>
  );
}
