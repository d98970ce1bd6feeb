import { useState } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Card, Page } from "../../components/Page";
import { Swatch } from "../../components/Swatch";
import { count, pct } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { ruleOf, ruleQuery } from "../datasets/frameRule";
import { INITIAL_LAYERS, LAYERS, type LayerKey, isPreviewLayer, nextOpacity } from "./layers";
import { LayerLegend } from "./LayerLegend";
import { PreviewPanel } from "./PreviewPanel";
import { usePreviewChoice } from "./previewChoice";
import { useFrameKeys } from "./useFrameKeys";
import { useNeighbours } from "./useNeighbours";

/** One frame: stacked layers (image, ground truth, teacher prediction, pseudo-label,
 * difference) with hotkeys, next/previous within the sample it was opened from, its
 * metadata and class histogram. */
export function FrameView(props: { id: number; query: URLSearchParams }) {
  const q = useQuery(async () => {
    const frame = await unwrap(api.GET("/api/frames/{frame_id}", { params: { path: { frame_id: props.id } } }));
    const dataset = await unwrap(api.GET("/api/datasets/{dataset_id}", { params: { path: { dataset_id: frame.dataset_id } } }));
    const taxonomy = await unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: dataset.taxonomy_id } } }));
    return { frame, dataset, taxonomy };
  }, [props.id]);
  const rule = ruleOf(props.query);
  const i = props.query.get("i");
  const near = useNeighbours(q.data?.dataset.id, rule, i !== null && /^\d+$/.test(i) ? Number(i) : undefined);
  const choice = usePreviewChoice(props.id, q.data?.dataset.taxonomy_id);
  const [layers, setLayers] = useState(INITIAL_LAYERS);
  const [active, setActive] = useState<LayerKey>("label");
  const f = q.data?.frame;
  const enabled = (k: LayerKey) => (k === "label" ? !!f?.label_path : isPreviewLayer(k) ? choice.available === true : true);
  const toggle = (k: LayerKey) => {
    if (!enabled(k)) return;
    setLayers((ls) => ({ ...ls, [k]: { ...ls[k], on: !ls[k].on } }));
    setActive(k);
  };
  const setOpacity = (k: LayerKey, opacity: number) => {
    setLayers((ls) => ({ ...ls, [k]: { ...ls[k], opacity } }));
    setActive(k);
  };
  useFrameKeys({
    j: () => void near.go(1),
    ArrowRight: () => void near.go(1),
    k: () => void near.go(-1),
    ArrowLeft: () => void near.go(-1),
    o: () => setOpacity(active, nextOpacity(layers[active].opacity)),
    ...Object.fromEntries(LAYERS.map((l) => [l.hotkey, () => toggle(l.key)])),
  });
  const src = (k: LayerKey) => (isPreviewLayer(k) ? choice.url(props.id, k) : `/api/frames/${props.id}/${k}`);
  return (
    <Async q={q}>
      {({ frame: f, dataset: ds, taxonomy }) => {
        const classes = new Map(taxonomy.classes.map((c) => [c.id, c]));
        const hist = Object.entries(f.histogram)
          .map(([id, px]) => ({ id: Number(id), px }))
          .sort((a, b) => b.px - a.px);
        const totalPx = hist.reduce((n, h) => n + h.px, 0) || 1;
        const back = near.index === undefined ? href(`datasets/${ds.id}`) : href(`datasets/${ds.id}`, ruleQuery(rule));
        return (
          <Page
            title={
              <>
                <a href={href("datasets")}>Datasets</a> / <a href={back}>{ds.name}</a> / <span class="mono">{f.key}</span>
              </>
            }
            subtitle={[f.split, f.sequence, f.camera, f.frame].filter(Boolean).join(" · ")}
            actions={
              near.index !== undefined && (
                <>
                  <button class="btn" aria-label="previous frame" disabled={!near.previous} onClick={() => void near.go(-1)}>
                    ‹ Previous
                  </button>
                  <span class="muted" data-testid="frame-position">
                    {count(near.index + 1)} of {near.total === undefined ? "…" : count(near.total)}
                  </span>
                  <button class="btn" aria-label="next frame" disabled={!near.next} onClick={() => void near.go(1)}>
                    Next ›
                  </button>
                </>
              )
            }
          >
            <div class="grid-2">
              <div>
                <div class="card viewer">
                  <div class="layer-stack" data-testid="layer-stack" style={{ aspectRatio: f.width && f.height ? `${f.width} / ${f.height}` : "16 / 9" }}>
                    {LAYERS.filter((l) => layers[l.key].on && enabled(l.key)).map((l) => (
                      <img
                        key={l.key}
                        src={src(l.key)}
                        alt={`${l.name} of ${f.key}`}
                        data-testid={l.key === "image" ? "frame-image" : `layer-${l.key}`}
                        style={{ opacity: layers[l.key].opacity }}
                      />
                    ))}
                  </div>
                  <LayerLegend layers={layers} enabled={enabled} active={active} onToggle={toggle} onOpacity={setOpacity} />
                </div>
                <PreviewPanel key={f.id} frameId={f.id} datasetId={ds.id} choice={choice} />
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
