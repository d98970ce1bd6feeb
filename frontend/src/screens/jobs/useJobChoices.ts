import { useMemo } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import type { Choice } from "../../components/schemaForm/context";
import type { Path } from "../../lib/jsonSchema";
import { useQuery } from "../../lib/useQuery";
import type { Known } from "./jobDefaults";

/** Pickers for the id fields of job forms: models, datasets, mappings, taxonomies and
 * finished pseudo-label jobs by name, so nobody has to look an id up; and what they
 * hold, once loaded, for the form's defaults. */
export function useJobChoices(): { choicesFor: (path: Path) => Choice[] | undefined; known?: Known } {
  const models = useQuery(() => unwrap(api.GET("/api/models", { params: { query: { limit: 1000 } } })), []);
  const datasets = useQuery(() => unwrap(api.GET("/api/datasets", { params: { query: { limit: 1000 } } })), []);
  const mappings = useQuery(() => unwrap(api.GET("/api/mappings", { params: { query: { limit: 1000 } } })), []);
  const taxonomies = useQuery(() => unwrap(api.GET("/api/taxonomies", { params: { query: { limit: 1000 } } })), []);
  const labelled = useQuery(
    () => unwrap(api.GET("/api/jobs", { params: { query: { kind: "pseudo_label", status: "succeeded", limit: 500 } } })),
    [],
  );
  const known = useMemo(
    () =>
      models.data && datasets.data && mappings.data
        ? { models: models.data.items, datasets: datasets.data.items, mappings: mappings.data.items }
        : undefined,
    [models.data, datasets.data, mappings.data],
  );
  const choicesFor = (path: Path): Choice[] | undefined => {
    const name = path[path.length - 1];
    const parent = path[path.length - 2];
    if (name === "id" && (parent === "model" || parent === "init"))
      return models.data?.items.map((m) => ({ value: m.id, label: `${m.name} (#${m.id})` }));
    if (name === "dataset_id") return datasets.data?.items.map((d) => ({ value: d.id, label: `${d.name} (#${d.id})` }));
    if (name === "mapping_id") return mappings.data?.items.map((m) => ({ value: m.id, label: `${m.name} (#${m.id})` }));
    if (name === "taxonomy_id") return taxonomies.data?.items.map((t) => ({ value: t.id, label: `${t.name} (#${t.id})` }));
    if (name === "pseudo_label_job")
      return labelled.data?.items.map((j) => ({ value: j.id, label: `pseudo_label #${j.id}` }));
    return undefined;
  };
  return { choicesFor, known };
}
