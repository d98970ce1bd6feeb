import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { when } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { NewMapping } from "./NewMapping";

/** Every mapping with its taxonomies and head revision; create or import new ones. */
export function MappingList() {
  const q = useQuery(() => unwrap(api.GET("/api/mappings")), []);
  return (
    <Page title="Mappings" subtitle="For each source class, the extra labels it may appear under. Every save is a numbered revision.">
      <NewMapping />
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No mappings yet — create one from two taxonomies or import a reference CSV.">
        {(d) => (
          <div class="table-wrap">
            <table class="table" data-testid="mapping-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Extra → source</th>
                  <th class="num">Revision</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((m) => (
                  <tr key={m.id}>
                    <td>
                      <a href={href(`mappings/${m.id}`)}>{m.name}</a>
                    </td>
                    <td>
                      <span class="badge extra">{m.extra_taxonomy}</span> → <span class="badge source">{m.source_taxonomy}</span>
                    </td>
                    <td class="num mono">{m.head_revision}</td>
                    <td class="muted">{when(m.updated_at)}</td>
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
