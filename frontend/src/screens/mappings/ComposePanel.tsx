import { useState } from "preact/hooks";
import { api, errorText, unwrap, type Schemas } from "../../api/client";
import { Async, ErrorBox } from "../../components/Async";
import { Chip } from "../../components/Chip";
import { navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";

type Mapping = Schemas["MappingDetailRead"];
type Composition = Schemas["MappingComposition"];

/**
 * Chain this mapping (e→s) with one whose extra taxonomy is s (s→t): preview the e→t rows
 * the server composes, then save them as a new mapping.
 */
export function ComposePanel(props: { mapping: Mapping }) {
  const m = props.mapping;
  const seconds = useQuery(
    () => unwrap(api.GET("/api/mappings", { params: { query: { extra_taxonomy_id: m.source_taxonomy_id, limit: 500 } } })),
    [m.source_taxonomy_id],
  );
  const [second, setSecond] = useState<number>();
  const [preview, setPreview] = useState<Composition>();
  const [name, setName] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function compose(secondId: number, saveAs?: string) {
    setBusy(true);
    setError(undefined);
    try {
      const body = { first: { mapping_id: m.id }, second: { mapping_id: secondId }, ...(saveAs ? { name: saveAs } : {}) };
      const result = await unwrap(api.POST("/api/mappings/compose", { body }));
      if (result.mapping) navigate(`mappings/${result.mapping.id}`);
      else setPreview(result);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="card" data-testid="compose">
      <div class="card-head">
        <h2>Compose</h2>
      </div>
      <p class="muted small">
        Chain {m.extra_taxonomy} → {m.source_taxonomy} with a mapping of {m.source_taxonomy} onto another taxonomy.
      </p>
      <Async q={seconds} isEmpty={(l) => l.items.length === 0} empty={`No mapping maps ${m.source_taxonomy} onto another taxonomy yet.`}>
        {(list) => (
          <div class="row" style={{ marginBottom: "10px" }}>
            <select
              class="input"
              aria-label="second mapping"
              value={second ?? ""}
              onChange={(e) => {
                const id = Number((e.target as HTMLSelectElement).value);
                setSecond(id || undefined);
                setPreview(undefined);
                const picked = list.items.find((x) => x.id === id);
                if (picked) {
                  setName(`${m.extra_taxonomy}-to-${picked.source_taxonomy}`);
                  void compose(id);
                }
              }}
            >
              <option value="">Pick a mapping of {m.source_taxonomy}…</option>
              {list.items.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name} ({x.extra_taxonomy} → {x.source_taxonomy})
                </option>
              ))}
            </select>
          </div>
        )}
      </Async>
      {error && <ErrorBox message={error} />}
      {preview && second !== undefined && (
        <>
          <div class="row" style={{ marginBottom: "8px" }}>
            <span class="muted small">
              {preview.extra_taxonomy} → {preview.source_taxonomy} · {preview.rows.length} rows · {preview.findings.length} lint finding
              {preview.findings.length === 1 ? "" : "s"}
            </span>
            <span class="spacer" />
            <input class="input" style={{ width: "280px" }} aria-label="composed mapping name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            <button class="btn primary" disabled={busy || !name.trim()} onClick={() => compose(second, name.trim())}>
              Create mapping
            </button>
          </div>
          <div class="table-wrap">
            <table class="table" data-testid="compose-rows">
              <thead>
                <tr>
                  <th style={{ width: "220px" }}>Source class</th>
                  <th>Extra labels</th>
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((r) => (
                  <tr key={r.source_id} data-source={r.source_name}>
                    <td>
                      <strong>{r.source_name}</strong> <span class="muted mono small">{r.source_id}</span>
                    </td>
                    <td>
                      {(r.extra_labels ?? []).map((l) => (
                        <Chip key={l}>{l}</Chip>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}
