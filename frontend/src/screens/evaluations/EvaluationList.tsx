import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { useNames } from "../models/useNames";
import { EvaluationTable } from "./EvaluationTable";

/** Every evaluation, or one model's (`?model_id=`). */
export function EvaluationList(props: { query: URLSearchParams }) {
  const modelId = Number(props.query.get("model_id")) || undefined;
  const q = useQuery(
    () => unwrap(api.GET("/api/models/evaluations", { params: { query: { model_id: modelId, limit: 1000 } } })),
    [modelId],
  );
  const names = useNames();
  return (
    <Page
      title="Evaluations"
      subtitle={modelId ? <>Of model {names.model(modelId) ?? `#${modelId}`} · <a href={href("evaluations")}>all</a></> : "mIoU, per-class IoU and confusion of models and pseudo-labels against ground truth."}
      actions={
        <a class="btn primary" href={href("jobs/new", { kind: "evaluate", model_id: modelId })}>
          New evaluation
        </a>
      }
    >
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No evaluations yet: queue an evaluate job.">
        {(d) => <EvaluationTable items={d.items} modelName={names.model} />}
      </Async>
    </Page>
  );
}
