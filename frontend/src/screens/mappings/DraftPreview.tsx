import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText, unwrap, type Schemas } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { CommitInput } from "../../components/CommitInput";
import { pct } from "../../lib/format";
import type { Row } from "./rows";

const LAYERS = ["pseudo_label", "prediction", "difference"] as const;
type Layer = (typeof LAYERS)[number];

/**
 * The constrained pseudo-label of one cached frame under the *unsaved* draft, re-rendered
 * by the server (numpy, no model) shortly after each edit. Keys name a preview job's cache.
 */
export function DraftPreview(props: { mappingId: number; rows: Row[] }) {
  const storeKey = `ontolabel.preview.${props.mappingId}`;
  const saved = JSON.parse(localStorage.getItem(storeKey) ?? "{}") as { model?: string; frame?: string };
  const [model, setModel] = useState(saved.model ?? "");
  const [frame, setFrame] = useState(saved.frame ?? "");
  const [layer, setLayer] = useState<Layer>("pseudo_label");
  const [result, setResult] = useState<Schemas["PreviewRead"]>();
  const [error, setError] = useState<string>();
  const seq = useRef(0);

  useEffect(() => {
    localStorage.setItem(storeKey, JSON.stringify({ model, frame }));
    if (!model.trim() || !frame.trim()) return;
    const mine = ++seq.current;
    const timer = setTimeout(() => {
      unwrap(
        api.POST("/api/previews/{model_key}/{frame_key}", {
          params: { path: { model_key: model.trim(), frame_key: frame.trim() } },
          body: { mapping_id: props.mappingId, rows: props.rows },
        }),
      ).then(
        (r) => mine === seq.current && (setResult(r), setError(undefined)),
        (e) => mine === seq.current && (setResult(undefined), setError(errorText(e))),
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [model, frame, props.rows, props.mappingId]);

  const input = (value: string, set: (v: string) => void, label: string, placeholder: string) => (
    <CommitInput class="input small" style={{ flex: 1, minWidth: 0 }} aria-label={label} placeholder={placeholder} value={value} onCommit={set} />
  );
  return (
    <div class="card" data-testid="draft-preview">
      <div class="card-head">
        <h2>Preview</h2>
      </div>
      <div class="row" style={{ marginBottom: "8px", flexWrap: "nowrap" }}>
        {input(model, setModel, "preview model key", "model key")}
        {input(frame, setFrame, "preview frame key", "frame key")}
      </div>
      {error && <ErrorBox message={error} />}
      {!model || !frame ? (
        <div class="muted small">Name a model and a frame a preview job has cached to see this draft's pseudo-label as you edit.</div>
      ) : (
        result && (
          <>
            <div class="tabs" style={{ marginBottom: "8px" }}>
              {LAYERS.map((l) => (
                <button key={l} class={`tab small${layer === l ? " active" : ""}`} onClick={() => setLayer(l)}>
                  {l.replace("_", "-")}
                </button>
              ))}
            </div>
            <img class="preview" src={result[layer]} alt={`${layer} preview`} />
            <div class="muted small" data-testid="preview-stats" style={{ marginTop: "6px" }}>
              changed {pct(result.changed)} · ignored {pct(result.ignored)} · {Math.round(result.milliseconds)} ms
            </div>
          </>
        )
      )}
    </div>
  );
}
