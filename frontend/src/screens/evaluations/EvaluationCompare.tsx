import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Chart } from "../../components/Chart";
import { Card, Page } from "../../components/Page";
import { pct } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { useNames } from "../models/useNames";
import { iouBarsOption } from "./charts";
import { EvaluationPanel } from "./EvaluationPanel";

/** `#/evaluations/compare?ids=a,b`: two evaluations side by side, their IoU bars overlaid. */
export function EvaluationCompare(props: { query: URLSearchParams }) {
  const ids = (props.query.get("ids") ?? "").split(",").map(Number).filter((n) => n > 0).slice(0, 2);
  const q = useQuery(
    () => Promise.all(ids.map((id) => unwrap(api.GET("/api/models/evaluations/{evaluation_id}", { params: { path: { evaluation_id: id } } })))),
    [ids.join(",")],
  );
  const names = useNames();
  const label = (e: { id: number; model_id?: number | null }) => `#${e.id} ${names.model(e.model_id) ?? ""}`.trim();
  return (
    <Page
      title={
        <>
          <a href={href("evaluations")}>Evaluations</a> / compare {ids.map((i) => `#${i}`).join(" · ")}
        </>
      }
    >
      <Async q={q} isEmpty={(d) => d.length < 2} empty="Pick two evaluations in the list to compare them.">
        {([a, b]) => (
          <>
            <Card title="IoU per class" actions={<span class="miou">{pct(a.mean_iou)} vs {pct(b.mean_iou)}</span>}>
              <Chart
                label="IoU per class of both evaluations"
                testId="iou-bars"
                height={300}
                option={iouBarsOption([
                  { label: label(a), evaluation: a },
                  { label: label(b), evaluation: b },
                ])}
              />
            </Card>
            <div class="charts-2">
              <EvaluationPanel evaluation={a} modelName={names.model(a.model_id)} bars={false} />
              <EvaluationPanel evaluation={b} modelName={names.model(b.model_id)} bars={false} />
            </div>
          </>
        )}
      </Async>
    </Page>
  );
}
