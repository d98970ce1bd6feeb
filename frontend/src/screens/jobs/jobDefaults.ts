// Sensible defaults for a job form opened on a dataset: its mapping and a teacher for it.
import type { Schemas } from "../../api/client";
import { fieldAt, type Json, type JsonObject, type Path, type SchemaSet, setIn } from "../../lib/jsonSchema";
import { PREFILL, rootSchema } from "./jobForms";

type Dataset = Pick<Schemas["DatasetRead"], "id" | "taxonomy_id">;
type Mapping = Pick<Schemas["MappingRead"], "id" | "extra_taxonomy_id" | "source_taxonomy_id" | "created_at" | "archived">;
type Model = Pick<Schemas["ModelRead"], "id" | "taxonomy_id" | "created_at">;
type TaxonomyClass = Pick<Schemas["TaxonomyClassSchema"], "id" | "name" | "train_id">;

export interface Known {
  datasets: Dataset[];
  mappings: Mapping[];
  models: Model[];
}

/** The fields a dataset suggests, by prefill name (`jobForms.PREFILL`). */
export type Suggested = Partial<Record<"mapping_id" | "model_id", number>>;

const newest = <T extends { id: number; created_at: string }>(items: T[]): T | undefined =>
  [...items].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id)[0];

/** For a dataset: the newest mapping whose extra taxonomy is the dataset's, and the newest
 * model speaking that mapping's source taxonomy (with no mapping: the dataset's own). */
export function suggestFor(datasetId: number, known: Known): Suggested {
  const dataset = known.datasets.find((d) => d.id === datasetId);
  if (!dataset) return {};
  const mapping = newest(known.mappings.filter((m) => !m.archived && m.extra_taxonomy_id === dataset.taxonomy_id));
  const speaks = mapping ? mapping.source_taxonomy_id : dataset.taxonomy_id;
  const model = newest(known.models.filter((m) => m.taxonomy_id === speaks));
  return { mapping_id: mapping?.id, model_id: model?.id };
}

/** The first path of a prefill name that the kind's schema has. */
export function pathOf(set: SchemaSet, name: string): Path | undefined {
  return PREFILL[name]?.find((p) => fieldAt(rootSchema(set), p, set.schemas));
}

export function getIn(value: Json | undefined, path: Path): Json | undefined {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = Array.isArray(current) ? current[Number(part)] : current[String(part)];
  }
  return current;
}

/** The form's dataset id, wherever the kind keeps it. */
export function datasetOf(set: SchemaSet, value: JsonObject): number | undefined {
  const path = pathOf(set, "dataset_id");
  const id = path && getIn(value, path);
  return typeof id === "number" ? id : undefined;
}

/**
 * `value` with the suggestions written where the field is empty or still holds what an
 * earlier suggestion put there (`auto`); a value the user chose stays. Returns the new
 * value and what now counts as suggested.
 */
export function applySuggested(
  set: SchemaSet,
  value: JsonObject,
  suggested: Suggested,
  auto: Suggested,
): { value: JsonObject; auto: Suggested } {
  let next = value;
  const nextAuto: Suggested = { ...auto };
  for (const name of ["mapping_id", "model_id"] as const) {
    const path = pathOf(set, name);
    const wanted = suggested[name];
    if (!path || wanted === undefined) continue;
    const current = getIn(next, path);
    const untouched = current === undefined || current === null || current === "" || current === auto[name];
    if (!untouched || current === wanted) continue;
    next = setIn(next, path, wanted) as JsonObject;
    nextAuto[name] = wanted;
  }
  return { value: next, auto: nextAuto };
}

/** The ids a model of this taxonomy predicts, in channel order: by train id when the
 * taxonomy numbers them (ignored classes left out), else every class as listed. */
export function channelClasses(classes: TaxonomyClass[]): { ids: number[]; names: string[] } {
  const trained = classes.filter((c) => c.train_id != null && c.train_id >= 0 && c.train_id < 255);
  const chosen = (trained.length ? [...trained].sort((a, b) => a.train_id! - b.train_id!) : classes).filter(
    (c) => c.id >= 0 && c.id <= 65535,
  );
  return { ids: chosen.map((c) => c.id), names: chosen.map((c) => c.name) };
}
