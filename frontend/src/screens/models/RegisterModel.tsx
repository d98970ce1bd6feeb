import { useState } from "preact/hooks";
import { api, ApiError, errorText, type Schemas, unwrap } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { Card } from "../../components/Page";
import { useQuery } from "../../lib/useQuery";

type ModelCreate = Schemas["ModelCreate"];
type Kind = ModelCreate["kind"];

const KINDS: { value: Kind; label: string }[] = [
  { value: "hf_dir", label: "hf_dir — a save_pretrained folder" },
  { value: "checkpoint", label: "checkpoint — a .pth/.safetensors file" },
  { value: "hub", label: "hub — a Hugging Face id" },
  { value: "ontolabel", label: "ontolabel — trained by ontolabel" },
];

/** The body's refused fields by name, as the API words them (`path`, `name`, …). */
function fieldMessages(body: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const listed = Array.isArray(body.errors) ? body.errors : [];
  for (const e of listed) {
    if (e && typeof e === "object" && typeof e.field === "string" && typeof e.message === "string")
      out.set(e.field.split(".").pop() ?? e.field, e.message);
  }
  if (!out.size && typeof body.field === "string" && typeof body.detail === "string") out.set(body.field, body.detail);
  return out;
}

/** `POST /api/models`: name, taxonomy, kind, a folder/checkpoint under the allowed roots
 * (or a hub id), an optional description; the API's refusals appear under their fields. */
export function RegisterModel(props: { onCreated: (model: Schemas["ModelRead"]) => void; onClose: () => void }) {
  const taxonomies = useQuery(() => unwrap(api.GET("/api/taxonomies", { params: { query: { limit: 1000 } } })), []);
  const [form, setForm] = useState({ name: "", taxonomy_id: "", kind: "hf_dir" as Kind, path: "", description: "" });
  const [errors, setErrors] = useState<Map<string, string>>(new Map());
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (e: Event) => setForm({ ...form, [key]: (e.target as HTMLInputElement).value });
  const sources = [...(taxonomies.data?.items ?? [])].sort((a, b) => Number(b.kind === "source") - Number(a.kind === "source") || a.name.localeCompare(b.name));

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setMessage(undefined);
    setErrors(new Map());
    const body: ModelCreate = {
      name: form.name,
      taxonomy_id: Number(form.taxonomy_id),
      kind: form.kind,
      path: form.path,
      details: form.description ? { description: form.description } : {},
    };
    try {
      props.onCreated(await unwrap(api.POST("/api/models", { body })));
    } catch (err) {
      setMessage(errorText(err));
      setErrors(err instanceof ApiError ? fieldMessages(err.body) : new Map());
    } finally {
      setBusy(false);
    }
  }

  const error = (key: string) =>
    errors.get(key) && (
      <span class="field-error" data-testid={`register-model-error-${key}`}>
        {errors.get(key)}
      </span>
    );
  return (
    <Card title="Register a model" actions={<button type="button" class="btn small" onClick={props.onClose}>Close</button>}>
      <form onSubmit={submit} noValidate data-testid="register-model">
        {message && <ErrorBox message={message} />}
        <div class="form-grid">
          <label class="field">
            Name
            <input class="input" aria-label="model name" value={form.name} onInput={set("name")} required />
            {error("name")}
          </label>
          <label class="field">
            Taxonomy it predicts
            <select class="input" aria-label="model taxonomy" value={form.taxonomy_id} onChange={set("taxonomy_id")}>
              <option value="">choose…</option>
              {sources.map((t) => (
                <option key={t.id} value={String(t.id)}>
                  {t.name} ({t.kind})
                </option>
              ))}
            </select>
            {error("taxonomy_id")}
          </label>
          <label class="field">
            Kind
            <select class="input" aria-label="model kind" value={form.kind} onChange={set("kind")}>
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
            {error("kind")}
          </label>
          <label class="field wide">
            Path (a folder or checkpoint under an allowed data root or the output root; a hub id for hub)
            <input class="input mono" aria-label="model path" value={form.path} onInput={set("path")} placeholder="/data/models/teacher" />
            {error("path")}
          </label>
          <label class="field wide">
            Description (optional)
            <input class="input" aria-label="model description" value={form.description} onInput={set("description")} />
          </label>
        </div>
        <div class="row" style={{ marginTop: "10px" }}>
          <button type="submit" class="btn primary" disabled={busy}>
            {busy ? "Registering…" : "Register model"}
          </button>
        </div>
      </form>
    </Card>
  );
}
