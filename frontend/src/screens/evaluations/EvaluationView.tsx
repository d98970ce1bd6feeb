import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { useNames } from "../models/useNames";
import { EvaluationPanel } from "./EvaluationPanel";

/** `#/evaluations/<id>`: one evaluation's mIoU, per-class bars and confusion heatmap. */
export function EvaluationView(props: { id: number }) {
  const q = useQuery(
    () => unwrap(api.GET("/api/models/evaluations/{evaluation_id}", { params: { path: { evaluation_id: props.id } } })),
    [props.id],
  );
  const names = useNames();
  return (
    <Page
      title={
        <>
          <a href={href("evaluations")}>Evaluations</a> / #{props.id}
        </>
      }
    >
      <Async q={q}>{(e) => <EvaluationPanel evaluation={e} modelName={names.model(e.model_id)} />}</Async>
    </Page>
  );
}
