import { useState } from "preact/hooks";
import { api, errorText, unwrap } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { Card } from "../../components/Page";
import { navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";

const PRESETS = ["generic", "cityscapes", "apolloscape", "mapillary", "goose"];

/** Register a folder as a dataset (a dry run first shows what would be found), then index it. */
export function RegisterDataset() {
  const taxonomies = useQuery(() => unwrap(api.GET("/api/taxonomies")), []);
  const [spec, setSpec] = useState({ name: "", root: "", taxonomy: "", preset: "generic" });
  const [dry, setDry] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof spec) => (e: Event) => setSpec({ ...spec, [k]: (e.target as HTMLInputElement).value });
  const body = () => ({ ...spec, preset: spec.preset || null, description: "" });

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  const dryRun = () =>
    run(async () => {
      const r = await unwrap(api.POST("/api/datasets/dry-run", { body: body() }));
      setDry(`${r.images} images, ${r.labels} labels, ${r.paired} paired, ${r.unpaired_total} unpaired, ${r.off_pattern_total} off pattern`);
    });
  const register = () =>
    run(async () => {
      const ds = await unwrap(api.POST("/api/datasets", { body: body() }));
      await unwrap(api.POST("/api/datasets/{dataset_id}/index", { params: { path: { dataset_id: ds.id } } }));
      navigate(`datasets/${ds.id}`);
    });

  return (
    <Card title="Register a dataset">
      {error && <ErrorBox message={error} />}
      <div class="row">
        <input class="input" placeholder="name" aria-label="dataset name" value={spec.name} onInput={set("name")} />
        <input class="input" style={{ flex: 1, minWidth: "240px" }} placeholder="/absolute/path/under/a/data/root" aria-label="dataset root" value={spec.root} onInput={set("root")} />
        <select class="input" aria-label="taxonomy" value={spec.taxonomy} onChange={set("taxonomy")}>
          <option value="">taxonomy…</option>
          {taxonomies.data?.items.map((t) => (
            <option key={t.id} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
        <select class="input" aria-label="preset" value={spec.preset} onChange={set("preset")}>
          {PRESETS.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <button class="btn" disabled={busy || !spec.root || !spec.taxonomy} onClick={dryRun}>
          Dry run
        </button>
        <button class="btn primary" disabled={busy || !spec.name || !spec.root || !spec.taxonomy} onClick={register}>
          Register and index
        </button>
      </div>
      {dry && <div class="muted small" style={{ marginTop: "8px" }}>Dry run: {dry}</div>}
    </Card>
  );
}
