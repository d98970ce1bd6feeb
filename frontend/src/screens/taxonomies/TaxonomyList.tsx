import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { when } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { ImportTaxonomy } from "./ImportTaxonomy";

/** Every taxonomy, with an upload form for labels.csv / YAML files. */
export function TaxonomyList() {
  const q = useQuery(() => unwrap(api.GET("/api/taxonomies")), []);
  return (
    <Page title="Taxonomies" subtitle="Label spaces: source taxonomies are targets, extra taxonomies are mapped onto them.">
      <ImportTaxonomy onImported={q.reload} />
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No taxonomies yet — import a labels.csv or YAML file above.">
        {(d) => (
          <div class="table-wrap">
            <table class="table" data-testid="taxonomy-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Kind</th>
                  <th class="num">Classes</th>
                  <th>Description</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <a href={href(`taxonomies/${t.id}`)}>{t.name}</a>
                    </td>
                    <td>
                      <span class={`badge ${t.kind}`}>{t.kind}</span>
                    </td>
                    <td class="num">{t.class_count}</td>
                    <td class="muted">{t.description}</td>
                    <td class="muted">{when(t.updated_at)}</td>
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
