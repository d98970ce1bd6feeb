import { api, unwrap, type Schemas } from "../../api/client";
import { Async } from "../../components/Async";
import { Swatch } from "../../components/Swatch";
import { count, pct } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";

/** Per label: frames containing it and its pixel share; a click shows those frames. */
export function OccurrenceTable(props: { datasetId: number; taxonomy: Schemas["TaxonomyDetailRead"] }) {
  const q = useQuery(
    () => unwrap(api.GET("/api/datasets/{dataset_id}/occurrence", { params: { path: { dataset_id: props.datasetId } } })),
    [props.datasetId],
  );
  const colors = new Map(props.taxonomy.classes.map((c) => [c.id, c.color]));
  return (
    <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No labels counted yet — index the dataset first.">
      {(d) => {
        const top = Math.max(...d.items.map((i) => i.pixel_share), 1e-9);
        return (
          <>
            <div class="table-wrap">
              <table class="table" data-testid="occurrence-table">
                <thead>
                  <tr>
                    <th class="num">Id</th>
                    <th>Label</th>
                    <th class="num">Frames</th>
                    <th class="num">Frame share</th>
                    <th class="num">Pixel share</th>
                    <th style={{ width: "30%" }}></th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((o) => (
                    <tr key={o.label_id}>
                      <td class="num mono">{o.label_id}</td>
                      <td>
                        <span class="row">
                          <Swatch color={colors.get(o.label_id)} />
                          <a href={href(`datasets/${props.datasetId}`, { label: o.label_id })}>{o.name ?? <em class="muted">unknown id</em>}</a>
                        </span>
                      </td>
                      <td class="num">{count(o.frames)}</td>
                      <td class="num">{pct(o.frame_share)}</td>
                      <td class="num">{pct(o.pixel_share, 2)}</td>
                      <td>
                        <span class="bar" style={{ width: `${(o.pixel_share / top) * 100}%` }} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {d.never_labelled.length > 0 && (
              <p class="muted">
                Never labelled in this dataset: {d.never_labelled.join(", ")}
              </p>
            )}
          </>
        );
      }}
    </Async>
  );
}
