import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Card, Page } from "../../components/Page";
import { Swatch } from "../../components/Swatch";
import { count, pct } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { PreviewPanel } from "./PreviewPanel";

const VIEWS = ["image", "label", "overlay"] as const;
type View = (typeof VIEWS)[number];

/** One frame: image / coloured label / overlay toggle, its metadata and class histogram. */
export function FrameView(props: { id: number }) {
  const [view, setView] = useState<View>("overlay");
  const [alpha, setAlpha] = useState(0.5);
  const q = useQuery(async () => {
    const frame = await unwrap(api.GET("/api/frames/{frame_id}", { params: { path: { frame_id: props.id } } }));
    const dataset = await unwrap(api.GET("/api/datasets/{dataset_id}", { params: { path: { dataset_id: frame.dataset_id } } }));
    const taxonomy = await unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: dataset.taxonomy_id } } }));
    return { frame, dataset, taxonomy };
  }, [props.id]);
  const src = (v: View) =>
    v === "overlay" ? `/api/frames/${props.id}/overlay?alpha=${alpha}` : `/api/frames/${props.id}/${v}`;
  return (
    <Async q={q}>
      {({ frame: f, dataset: ds, taxonomy }) => {
        const classes = new Map(taxonomy.classes.map((c) => [c.id, c]));
        const hist = Object.entries(f.histogram)
          .map(([id, px]) => ({ id: Number(id), px }))
          .sort((a, b) => b.px - a.px);
        const totalPx = hist.reduce((n, h) => n + h.px, 0) || 1;
        return (
          <Page
            title={
              <>
                <a href={href("datasets")}>Datasets</a> / <a href={href(`datasets/${ds.id}`)}>{ds.name}</a> / <span class="mono">{f.key}</span>
              </>
            }
            subtitle={[f.split, f.sequence, f.camera, f.frame].filter(Boolean).join(" · ")}
          >
            <div class="grid-2">
              <div>
              <div class="card viewer">
                <div class="row" style={{ marginBottom: "10px" }}>
                  <div class="tabs" style={{ marginBottom: 0, borderBottom: "none" }} role="group" aria-label="view">
                    {VIEWS.map((v) => (
                      <button key={v} class={`tab${view === v ? " active" : ""}`} aria-pressed={view === v} onClick={() => setView(v)} disabled={v !== "image" && !f.label_path}>
                        {v}
                      </button>
                    ))}
                  </div>
                  {view === "overlay" && (
                    <label class="row small muted">
                      opacity
                      <input type="range" min={0} max={1} step={0.1} value={alpha} onChange={(e) => setAlpha(Number((e.target as HTMLInputElement).value))} />
                    </label>
                  )}
                </div>
                <img src={src(view)} alt={`${view} of ${f.key}`} data-testid="frame-image" />
              </div>
              <PreviewPanel frameId={f.id} datasetId={ds.id} extraTaxonomyId={ds.taxonomy_id} />
              </div>
              <div>
                <Card title="Frame">
                  <dl class="kv small">
                    <dt>Size</dt>
                    <dd>{f.width && f.height ? `${f.width} × ${f.height}` : "—"}</dd>
                    <dt>Image</dt>
                    <dd class="mono">{f.image_path ?? "—"}</dd>
                    <dt>Label</dt>
                    <dd class="mono">{f.label_path ?? "none"}</dd>
                    {f.error && (
                      <>
                        <dt>Error</dt>
                        <dd class="error">{f.error}</dd>
                      </>
                    )}
                    {f.unknown_labels && f.unknown_labels.length > 0 && (
                      <>
                        <dt>Unknown ids</dt>
                        <dd>{f.unknown_labels.join(", ")}</dd>
                      </>
                    )}
                  </dl>
                </Card>
                <Card title="Classes in this frame">
                  <table class="table" data-testid="frame-histogram">
                    <tbody>
                      {hist.map((h) => (
                        <tr key={h.id}>
                          <td>
                            <span class="row">
                              <Swatch color={classes.get(h.id)?.color} />
                              {classes.get(h.id)?.name ?? <em class="muted">id {h.id}</em>}
                            </span>
                          </td>
                          <td class="num">{count(h.px)}</td>
                          <td class="num muted">{pct(h.px / totalPx)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </Card>
              </div>
            </div>
          </Page>
        );
      }}
    </Async>
  );
}
