import { useState } from "preact/hooks";
import { api, errorText, unwrap } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { Card } from "../../components/Page";
import { navigate } from "../../lib/router";

/** Upload a labels.csv or YAML taxonomy file; the server's error is shown as it comes. */
export function ImportTaxonomy(props: { onImported: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [kind, setKind] = useState<"source" | "extra">("extra");
  const [name, setName] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      const created = await unwrap(
        api.POST("/api/taxonomies/import", {
          body: { file: file as unknown as string, kind, name: name.trim() || undefined },
          bodySerializer: toFormData,
        }),
      );
      props.onImported();
      navigate(`taxonomies/${created.id}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Import a taxonomy">
      {error && <ErrorBox message={error} />}
      <form class="row" onSubmit={submit}>
        <input
          class="input"
          type="file"
          accept=".csv,.yaml,.yml"
          aria-label="taxonomy file"
          onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
        />
        <select class="input" value={kind} aria-label="kind" onChange={(e) => setKind((e.target as HTMLSelectElement).value as "source" | "extra")}>
          <option value="extra">extra</option>
          <option value="source">source</option>
        </select>
        <input
          class="input"
          placeholder="name (default: file name)"
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
        <button class="btn primary" disabled={!file || busy}>
          {busy ? "Importing…" : "Import"}
        </button>
      </form>
    </Card>
  );
}

/** multipart/form-data from a flat object, leaving out unset fields. */
export function toFormData(body: Record<string, unknown>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined || v === null) continue;
    form.append(k, v instanceof Blob ? v : String(v));
  }
  return form;
}
