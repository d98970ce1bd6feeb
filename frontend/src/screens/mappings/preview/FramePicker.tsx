import { useEffect } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../../api/client";
import { ErrorBox } from "../../../components/Async";
import { useQuery } from "../../../lib/useQuery";
import { type FrameSource, type PreviewChoice, sourceValue } from "./choice";

/** The most frames one list offers for prev/next. */
const LIST_LIMIT = 200;

export interface PickedFrame {
  id: number;
  key?: string;
}

/** What a preview needs once a teacher and a frame are picked. */
export interface Picked {
  modelId: number;
  datasetId: number;
  frame: PickedFrame;
  /** The next few frames of the list: a preview job caches them too, so Next is quick. */
  ahead: number[];
}

const AHEAD = 3;

const selectValue = (e: Event) => (e.target as HTMLSelectElement).value;
const newest = <T extends { id: number }>(items: T[]) => items.reduce<T | undefined>((a, b) => (!a || b.id > a.id ? b : a), undefined);

async function frameList(datasetId: number, source: FrameSource, sampleSets: Schemas["SampleSetRead"][]): Promise<PickedFrame[]> {
  const path = { dataset_id: datasetId };
  if (source.kind === "sample") {
    const set = sampleSets.find((s) => s.id === source.sampleSetId);
    return (set?.frame_ids ?? []).slice(0, LIST_LIMIT).map((id) => ({ id }));
  }
  if (source.kind === "label") {
    const found = await unwrap(
      api.GET("/api/datasets/{dataset_id}/occurrence/frames", { params: { path, query: { label: [source.labelId], limit: LIST_LIMIT } } }),
    );
    return found.items.map((f) => ({ id: f.id, key: f.key }));
  }
  const all = await unwrap(api.GET("/api/datasets/{dataset_id}/frames", { params: { path, query: { limit: LIST_LIMIT } } }));
  return all.items.map((f) => ({ id: f.id, key: f.key }));
}

/**
 * Teacher (models over the mapping's source taxonomy, newest first by default) and a frame
 * of a dataset of its extra taxonomy: from all frames, a sample set, or frames holding a label.
 * A pick reports the whole choice as shown (defaults filled in) through `onChange`.
 */
export function FramePicker(props: {
  mapping: Schemas["MappingDetailRead"];
  choice: PreviewChoice;
  onChange: (choice: PreviewChoice) => void;
  onPicked: (picked: Picked | undefined) => void;
}) {
  const m = props.mapping;
  const { choice } = props;
  const lists = useQuery(async () => {
    const [models, datasets, extra] = await Promise.all([
      unwrap(api.GET("/api/models", { params: { query: { taxonomy_id: m.source_taxonomy_id, limit: 1000 } } })),
      unwrap(api.GET("/api/datasets", { params: { query: { limit: 1000 } } })),
      unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: m.extra_taxonomy_id } } })),
    ]);
    const labels = [...extra.classes].sort((a, b) => a.name.localeCompare(b.name));
    return { models: models.items, datasets: datasets.items.filter((d) => d.taxonomy_id === m.extra_taxonomy_id), labels };
  }, [m.source_taxonomy_id, m.extra_taxonomy_id]);
  const models = lists.data?.models ?? [];
  const datasets = lists.data?.datasets ?? [];
  const model = models.find((x) => x.id === choice.modelId) ?? newest(models);
  const dataset = datasets.find((d) => d.id === choice.datasetId) ?? newest(datasets);
  const sets = useQuery(
    async () => (dataset ? (await unwrap(api.GET("/api/datasets/{dataset_id}/sample-sets", { params: { path: { dataset_id: dataset.id } } }))).items : []),
    [dataset?.id],
  );
  const source: FrameSource =
    choice.source.kind === "sample" && sets.data && !sets.data.some((s) => s.id === (choice.source as { sampleSetId: number }).sampleSetId)
      ? { kind: "all" }
      : choice.source;
  const frames = useQuery(
    async () => (dataset && sets.data ? frameList(dataset.id, source, sets.data) : []),
    [dataset?.id, sourceValue(source), source.kind === "label" ? source.labelId : 0, sets.data],
  );
  const list = frames.data ?? [];
  const index = list.findIndex((f) => f.id === choice.frameId);
  const frame = index >= 0 ? list[index] : list[0];

  // Defaults (newest teacher and dataset, first frame) are not stored: they are the same
  // next time. A user's pick stores the whole choice as shown.
  const effective: PreviewChoice = { modelId: model?.id, datasetId: dataset?.id, source, frameId: frame?.id };
  const at = Math.max(0, index);
  const ahead = list.slice(at + 1, at + 1 + AHEAD).map((f) => f.id);
  const picked = model && dataset && frame && frames.data ? { modelId: model.id, datasetId: dataset.id, frame, ahead } : undefined;
  useEffect(() => props.onPicked(picked), [picked?.modelId, picked?.datasetId, picked?.frame.id, picked?.ahead.join()]);

  const set = (patch: Partial<PreviewChoice>) => props.onChange({ ...effective, ...patch });
  const step = (by: number) => {
    const next = list[Math.min(list.length - 1, Math.max(0, (index < 0 ? 0 : index) + by))];
    if (next) set({ frameId: next.id });
  };
  const error = lists.error ?? sets.error ?? frames.error;
  if (lists.data && !models.length) return <div class="muted small">No teacher model over {m.source_taxonomy} is registered yet.</div>;
  if (lists.data && !datasets.length) return <div class="muted small">No dataset labelled with {m.extra_taxonomy} is registered yet.</div>;
  return (
    <div class="preview-picker" data-testid="preview-picker">
      {error && <ErrorBox message={error} />}
      <div class="row">
        <select class="input small" aria-label="preview teacher" data-testid="preview-teacher" value={String(model?.id ?? "")} onChange={(e) => set({ modelId: Number(selectValue(e)) })}>
          {[...models].reverse().map((x) => (
            <option key={x.id} value={String(x.id)}>
              {x.name}
            </option>
          ))}
        </select>
        <select class="input small" aria-label="preview dataset" data-testid="preview-dataset" value={String(dataset?.id ?? "")} onChange={(e) => set({ datasetId: Number(selectValue(e)), source: { kind: "all" }, frameId: undefined })}>
          {datasets.map((d) => (
            <option key={d.id} value={String(d.id)}>
              {d.name}
            </option>
          ))}
        </select>
      </div>
      <div class="row">
        <select
          class="input small"
          aria-label="preview frames from"
          data-testid="preview-frames-from"
          value={sourceValue(source)}
          onChange={(e) => {
            const v = selectValue(e);
            const first = lists.data?.labels[0];
            set({
              frameId: undefined,
              source: v.startsWith("sample:") ? { kind: "sample", sampleSetId: Number(v.slice(7)) } : v === "label" && first ? { kind: "label", labelId: first.id } : { kind: "all" },
            });
          }}
        >
          <option value="all">all frames</option>
          {(sets.data ?? []).map((s) => (
            <option key={s.id} value={`sample:${s.id}`}>
              sample set: {s.name} ({s.frame_ids.length})
            </option>
          ))}
          <option value="label">frames with label…</option>
        </select>
        {source.kind === "label" && (
          <select class="input small" aria-label="preview frames with label" data-testid="preview-label-search" value={String(source.labelId)} onChange={(e) => set({ frameId: undefined, source: { kind: "label", labelId: Number(selectValue(e)) } })}>
            {(lists.data?.labels ?? []).map((l) => (
              <option key={l.id} value={String(l.id)}>
                {l.name}
              </option>
            ))}
          </select>
        )}
      </div>
      <div class="row preview-nav">
        <button class="btn small" aria-label="previous frame" data-testid="preview-prev" disabled={index <= 0} onClick={() => step(-1)}>
          ‹ Prev
        </button>
        <span class="small mono" data-testid="preview-frame">
          {frames.loading && !frames.data ? "…" : frame ? `${frame.key ?? `frame ${frame.id}`} (${Math.max(0, index) + 1}/${list.length})` : "no frames"}
        </span>
        <button class="btn small" aria-label="next frame" data-testid="preview-next" disabled={index >= list.length - 1 || !list.length} onClick={() => step(1)}>
          Next ›
        </button>
      </div>
    </div>
  );
}
