import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { when } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { ModelActions } from "./ModelActions";
import { RegisterModel } from "./RegisterModel";
import { TrainedBy } from "./TrainedBy";
import { useNames } from "./useNames";

/** Registered models: what they label (taxonomy), how they load, which job trained them. */
export function ModelList() {
  const q = useQuery(() => unwrap(api.GET("/api/models", { params: { query: { limit: 1000 } } })), []);
  const names = useNames();
  const [registering, setRegistering] = useState(false);
  return (
    <Page
      title="Models"
      subtitle="Teachers and students: registered here (POST /api/models), or trained by a train job."
      actions={
        !registering && (
          <button class="btn primary" onClick={() => setRegistering(true)}>
            Register a model
          </button>
        )
      }
    >
      {registering && (
        <RegisterModel
          onClose={() => setRegistering(false)}
          onCreated={() => {
            setRegistering(false);
            q.reload();
          }}
        />
      )}
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No models yet.">
        {(d) => (
          <div class="table-wrap">
            <table class="table" data-testid="model-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Taxonomy</th>
                  <th>Kind</th>
                  <th>Path</th>
                  <th>Trained by</th>
                  <th>Registered</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.items.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <a href={href(`models/${m.id}`)}>{m.name}</a>
                      {typeof m.details.description === "string" && <div class="muted small">{m.details.description}</div>}
                    </td>
                    <td>
                      <a href={href(`taxonomies/${m.taxonomy_id}`)}>{names.taxonomy(m.taxonomy_id) ?? `#${m.taxonomy_id}`}</a>
                    </td>
                    <td>
                      <span class="badge">{m.kind}</span>
                    </td>
                    <td class="mono small" style={{ wordBreak: "break-all" }}>
                      {m.path}
                    </td>
                    <td>
                      <TrainedBy details={m.details} />
                    </td>
                    <td class="muted">{when(m.created_at)}</td>
                    <td>
                      <ModelActions modelId={m.id} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </Page>
  );
}
