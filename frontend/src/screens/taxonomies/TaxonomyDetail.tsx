import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { Swatch } from "../../components/Swatch";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { UsedBy } from "./UsedBy";

/** A class's kept labels.csv cells as `column="text"` pairs (quoted: padding shows). */
function fileCells(cells: Record<string, string> | undefined): string {
  return Object.entries(cells ?? {})
    .map(([column, text]) => `${column}=${JSON.stringify(text)}`)
    .join(" ");
}

function hasFileCells(c: { file_cells?: Record<string, string> }): boolean {
  return Object.keys(c.file_cells ?? {}).length > 0;
}

/** One taxonomy's classes in order, with colour swatches and export links. */
export function TaxonomyDetail(props: { id: number }) {
  const q = useQuery(
    () => unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: props.id } } })),
    [props.id],
  );
  const exportUrl = (format: string) => `/api/taxonomies/${props.id}/export?format=${format}`;
  return (
    <Async q={q}>
      {(t) => (
        <Page
          title={
            <>
              <a href={href("taxonomies")}>Taxonomies</a> / {t.name}
            </>
          }
          subtitle={
            <>
              <span class={`badge ${t.kind}`}>{t.kind}</span> · {t.class_count} classes · version {t.version}
              {t.description && <> · {t.description}</>}
            </>
          }
          actions={
            <>
              <a class="btn" href={exportUrl("csv")} download>
                Export CSV
              </a>
              <a class="btn" href={exportUrl("yaml")} download>
                Export YAML
              </a>
            </>
          }
        >
          <UsedBy taxonomyId={t.id} kind={t.kind} />
          <div class="table-wrap">
            <table class="table" data-testid="class-table">
              <thead>
                <tr>
                  <th style={{ width: "40px" }}></th>
                  <th class="num">Id</th>
                  <th>Name</th>
                  <th class="num">Train id</th>
                  <th>Category</th>
                  <th>Colour</th>
                  <th>Ignore</th>
                  {t.classes.some(hasFileCells) && (
                    <th title="Cells of the imported labels.csv that a CSV export writes back">File cells</th>
                  )}
                </tr>
              </thead>
              <tbody>
                {t.classes.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <Swatch color={c.color} />
                    </td>
                    <td class="num mono">{c.id}</td>
                    <td>{c.name}</td>
                    <td class="num mono">{c.train_id ?? "—"}</td>
                    <td class="muted">{c.category ?? ""}</td>
                    <td class="mono muted">{c.color ?? ""}</td>
                    <td>{c.ignore ? "yes" : ""}</td>
                    {t.classes.some(hasFileCells) && <td class="mono muted">{fileCells(c.file_cells)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Page>
      )}
    </Async>
  );
}
