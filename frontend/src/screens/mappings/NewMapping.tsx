import { useState } from "preact/hooks";
import { api, errorText, unwrap } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { Card } from "../../components/Page";
import { navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { toFormData } from "../taxonomies/ImportTaxonomy";

/** Start a mapping: empty rows from a source taxonomy, or a reference CSV / YAML upload. */
export function NewMapping() {
  const taxonomies = useQuery(() => unwrap(api.GET("/api/taxonomies")), []);
  const [mode, setMode] = useState<"create" | "import">("create");
  const [name, setName] = useState("");
  const [extra, setExtra] = useState("");
  const [source, setSource] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const items = taxonomies.data?.items ?? [];
  const val = (e: Event) => (e.target as HTMLInputElement).value;

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = mode === "create" ? await create() : await upload();
      navigate(`mappings/${created.id}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function create() {
    const src = items.find((t) => t.name === source);
    if (!src) throw new Error("Choose a source taxonomy.");
    const detail = await unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: src.id } } }));
    const rows = [
      ...detail.classes.filter((c) => c.id !== 255).map((c) => ({ source_id: c.id, source_name: c.name, extra_labels: [] })),
      { source_id: 255, source_name: "void", extra_labels: [] },
    ];
    return unwrap(api.POST("/api/mappings", { body: { name, extra_taxonomy: extra, source_taxonomy: source, rows, message: "created" } }));
  }

  function upload() {
    if (!file) throw new Error("Choose a file.");
    return unwrap(
      api.POST("/api/mappings/import", {
        body: { file: file as unknown as string, extra_taxonomy: extra || undefined, source_taxonomy: source || undefined, name: name || undefined, message: `imported ${file.name}` },
        bodySerializer: toFormData,
      }),
    );
  }

  const select = (value: string, set: (v: string) => void, kind: string, label: string) => (
    <select class="input" value={value} aria-label={label} onChange={(e) => set(val(e))}>
      <option value="">{label}…</option>
      {items
        .filter((t) => t.kind === kind || mode === "import")
        .map((t) => (
          <option key={t.id} value={t.name}>
            {t.name}
          </option>
        ))}
    </select>
  );

  return (
    <Card
      title="New mapping"
      actions={
        <div class="row small">
          <label>
            <input type="radio" checked={mode === "create"} onChange={() => setMode("create")} /> from taxonomies
          </label>
          <label>
            <input type="radio" checked={mode === "import"} onChange={() => setMode("import")} /> import file
          </label>
        </div>
      }
    >
      {error && <ErrorBox message={error} />}
      <form class="row" onSubmit={submit}>
        {mode === "import" && (
          <input class="input" type="file" accept=".csv,.yaml,.yml" aria-label="mapping file" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
        )}
        {select(extra, setExtra, "extra", "extra taxonomy")}
        <span class="muted">→</span>
        {select(source, setSource, "source", "source taxonomy")}
        <input class="input" placeholder={mode === "import" ? "name (optional)" : "mapping name"} value={name} onInput={(e) => setName(val(e))} />
        <button class="btn primary" disabled={busy || (mode === "create" ? !name || !extra || !source : !file)}>
          {mode === "create" ? "Create" : "Import"}
        </button>
      </form>
    </Card>
  );
}
