import { api, type Schemas, unwrap } from "../../api/client";
import { useQuery } from "../../lib/useQuery";

/** Each model's newest evaluation (`GET /api/models/evaluations?model_id=…`), by model id. */
export function useLatestEvaluations(modelIds: number[]) {
  const ids = [...new Set(modelIds)].sort((a, b) => a - b);
  return useQuery(async () => {
    const found = await Promise.all(
      ids.map((id) => unwrap(api.GET("/api/models/evaluations", { params: { query: { model_id: id, limit: 1 } } }))),
    );
    return new Map<number, Schemas["EvaluationRead"] | undefined>(ids.map((id, i) => [id, found[i].items[0]]));
  }, [ids.join(",")]);
}
