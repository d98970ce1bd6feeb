import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { useQuery } from "../../lib/useQuery";

/** The teacher model and mapping a frame is previewed with, shared by the preview panel and
 * the frame view's prediction / pseudo-label / difference layers. */
export interface PreviewChoice {
  models: Schemas["ModelRead"][];
  mappings: Schemas["MappingRead"][];
  loaded: boolean;
  error: string | undefined;
  /** Ids picked (the first of each until one is picked), "" when there is none. */
  model: string;
  mapping: string;
  setModel: (id: string) => void;
  setMapping: (id: string) => void;
  /** Bumped after the teacher ran, so images are asked for again. */
  attempt: number;
  retry: () => void;
  /** Whether the preview of `frameId` could be drawn; undefined until the panel knows. */
  available: boolean | undefined;
  setAvailable: (ok: boolean) => void;
  /** The URL of one preview layer of a frame, or "" without a model and a mapping. */
  url: (frameId: number, layer: string) => string;
}

export function usePreviewChoice(frameId: number, extraTaxonomyId: number | undefined): PreviewChoice {
  const q = useQuery(async () => {
    if (extraTaxonomyId === undefined) return { models: [], mappings: [] }; // the frame is still loading
    const [models, mappings] = await Promise.all([
      unwrap(api.GET("/api/models")),
      unwrap(api.GET("/api/mappings", { params: { query: { extra_taxonomy_id: extraTaxonomyId } } })),
    ]);
    return { models: models.items, mappings: mappings.items };
  }, [extraTaxonomyId]);
  const [modelId, setModel] = useState("");
  const [mappingId, setMapping] = useState("");
  const [attempt, setAttempt] = useState(0);
  const models = q.data?.models ?? [];
  const mappings = q.data?.mappings ?? [];
  const model = modelId || String(models[0]?.id ?? "");
  const mapping = mappingId || String(mappings[0]?.id ?? "");
  // What was learnt holds for one frame, model, mapping and attempt only.
  const key = `${frameId}:${model}:${mapping}:${attempt}`;
  const [known, setKnown] = useState<{ key: string; ok: boolean }>();
  return {
    models,
    mappings,
    loaded: q.data !== undefined,
    error: q.error,
    model,
    mapping,
    setModel,
    setMapping,
    attempt,
    retry: () => setAttempt((n) => n + 1),
    available: known?.key === key ? known.ok : undefined,
    setAvailable: (ok) => setKnown({ key, ok }),
    url: (id, layer) => (model && mapping ? `/api/frames/${id}/preview?model_id=${model}&mapping_id=${mapping}&layer=${layer}&attempt=${attempt}` : ""),
  };
}
