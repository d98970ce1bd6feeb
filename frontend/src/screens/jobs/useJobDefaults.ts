import { type Dispatch, type StateUpdater, useEffect, useRef } from "preact/hooks";
import { api, unwrap } from "../../api/client";
import type { JsonObject, SchemaSet } from "../../lib/jsonSchema";
import { applySuggested, channelClasses, datasetOf, getIn, type Known, type Suggested, suggestFor } from "./jobDefaults";

/**
 * Fills a job form's mapping and model from its dataset (when opened with one, or when the
 * user picks one), and an `evaluate` form's classes from its model's taxonomy; only fields
 * the user has left empty or that still hold an earlier default.
 */
export function useJobDefaults(set: SchemaSet, params: JsonObject, setParams: Dispatch<StateUpdater<JsonObject>>, known?: Known) {
  const auto = useRef<Suggested>({});
  const datasetId = datasetOf(set, params);
  useEffect(() => {
    if (!known || datasetId === undefined) return;
    const suggested = suggestFor(datasetId, known);
    setParams((current) => {
      const filled = applySuggested(set, current, suggested, auto.current);
      auto.current = filled.auto;
      return filled.value;
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [known, datasetId]);

  const hasClasses = Boolean(set.schemas[set.root].properties?.class_ids);
  const modelId = getIn(params, ["model", "id"]);
  const autoClasses = useRef<string | undefined>(undefined);
  useEffect(() => {
    const model = known?.models.find((m) => m.id === modelId);
    if (!hasClasses || !model) return;
    const current = params.class_ids;
    const untouched = current === undefined || current === null || JSON.stringify(current) === autoClasses.current;
    if (!untouched) return;
    let live = true;
    unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: model.taxonomy_id } } })).then(
      (taxonomy) => {
        if (!live) return;
        const { ids, names } = channelClasses(taxonomy.classes);
        autoClasses.current = JSON.stringify(ids);
        setParams((current) => ({ ...current, class_ids: ids, class_names: names }));
      },
      () => undefined, // no classes to offer: the field stays for the user to fill
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [known, modelId, hasClasses]);
}
