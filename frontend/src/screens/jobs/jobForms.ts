// The job forms' inputs: each kind's params schema (generated) and the query parameters
// other screens prefill it with (`#/jobs/new?kind=pseudo_label&model_id=7`).
import generated from "../../api/jobSchemas.json";
import type { JobKind } from "../../api/jobKinds";
import { fieldAt, initialObject, type JsonObject, type Path, type SchemaSet, setIn } from "../../lib/jsonSchema";

export const JOB_SCHEMAS = generated as Record<JobKind, SchemaSet>;

export const rootSchema = (set: SchemaSet) => set.schemas[set.root];

/** Where each prefill parameter goes: the first path the kind's schema has. */
export const PREFILL: Record<string, Path[]> = {
  model_id: [
    ["model", "id"],
    ["model", "init", "id"],
  ],
  dataset_id: [["dataset_id"], ["data", 0, "dataset_id"]],
  mapping_id: [["mapping", "mapping_id"]],
  revision: [["mapping", "revision"]],
  taxonomy_id: [["taxonomy_id"]],
  output_dir: [["output_dir"]],
};

/** The form's starting value: the schema's defaults (or `start`: a job's own params, to
 * run it again), then the query's prefills. */
export function prefilled(set: SchemaSet, query: URLSearchParams, start?: JsonObject): JsonObject {
  let value: JsonObject = start ?? initialObject(rootSchema(set), set.schemas);
  for (const [name, paths] of Object.entries(PREFILL)) {
    const raw = query.get(name);
    if (raw === null || raw === "") continue;
    const path = paths.find((p) => fieldAt(rootSchema(set), p, set.schemas));
    if (!path) continue;
    const n = Number(raw);
    value = setIn(value, path, Number.isFinite(n) ? n : raw) as JsonObject;
  }
  return value;
}
