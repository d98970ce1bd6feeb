import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Chip } from "../../components/Chip";
import { useQuery } from "../../lib/useQuery";

/** Per extra label, the source classes it may become (the saved head revision's mapping). */
export function InverseView(props: { mappingId: number; head: number }) {
  const q = useQuery(
    () => unwrap(api.GET("/api/mappings/{mapping_id}/inverse", { params: { path: { mapping_id: props.mappingId } } })),
    [props.mappingId, props.head],
  );
  const [text, setText] = useState("");
  const needle = text.trim().toLowerCase();
  return (
    <Async q={q}>
      {(inv) => {
        const items = inv.items.filter(
          (v) => !needle || v.label.toLowerCase().includes(needle) || v.source_names.some((n) => n.toLowerCase().includes(needle)),
        );
        return (
          <div class="card" data-testid="inverse">
            <div class="card-head">
              <h2>Inverse: what each extra label may become (revision {inv.revision})</h2>
              <input
                class="input small"
                style={{ width: "220px" }}
                placeholder="Filter labels and classes"
                aria-label="filter inverse"
                value={text}
                onInput={(e) => setText((e.target as HTMLInputElement).value)}
              />
            </div>
            <div class="table-wrap">
              <table class="table inverse-table" data-testid="inverse-table">
                <thead>
                  <tr>
                    <th style={{ width: "240px" }}>Extra label</th>
                    <th>Source classes it may stand for</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((v) => (
                    <tr key={v.label} data-label={v.label} class={v.unmapped ? "hl" : ""}>
                      <td>
                        <strong>{v.label}</strong>
                      </td>
                      <td>
                        {v.source_names.map((n, i) => (
                          <Chip key={`${v.source_ids[i]}`}>{n}</Chip>
                        ))}
                        {v.void && <span class="badge">void</span>}
                        {v.unmapped && <span class="badge warning">unmapped</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        );
      }}
    </Async>
  );
}
