import type { Schemas } from "../../api/client";
import { Chart } from "../../components/Chart";
import { Card } from "../../components/Page";
import { pct, when } from "../../lib/format";
import { href } from "../../lib/router";
import { confusionOption, heatmapHeight, iouBarsOption } from "./charts";
import { PerClassTable } from "./PerClassTable";

/** One evaluation: mIoU and what was scored, per-class IoU bars, the confusion heatmap. */
export function EvaluationPanel(props: { evaluation: Schemas["EvaluationRead"]; modelName?: string; bars?: boolean }) {
  const e = props.evaluation;
  return (
    <div data-testid={`evaluation-${e.id}`}>
      <Card title={<a href={href(`evaluations/${e.id}`)}>Evaluation #{e.id}</a>} actions={<span class="miou">{pct(e.mean_iou)} mIoU</span>}>
        <dl class="kv small">
          <dt>Subject</dt>
          <dd class="mono">{e.subject}</dd>
          <dt>Model</dt>
          <dd>{e.model_id == null ? "—" : <a href={href(`models/${e.model_id}`)}>{props.modelName ?? `#${e.model_id}`}</a>}</dd>
          <dt>Job</dt>
          <dd>{e.job_id == null ? "—" : <a href={href(`jobs/${e.job_id}`)}>#{e.job_id}</a>}</dd>
          <dt>Frames</dt>
          <dd>{e.frames}</dd>
          <dt>When</dt>
          <dd>{when(e.created_at)}</dd>
        </dl>
      </Card>
      {props.bars !== false && (
        <Card title="IoU per class">
          <Chart label="IoU per class" testId="iou-bars" option={iouBarsOption([{ label: `#${e.id}`, evaluation: e }])} />
        </Card>
      )}
      <Card title="Confusion matrix" actions={<span class="muted small">rows: truth · columns: prediction · share of each row</span>}>
        <Chart label="confusion matrix" testId="confusion-heatmap" height={heatmapHeight(e.class_names.length)} option={confusionOption(e)} />
      </Card>
      <Card title="Classes">
        <PerClassTable evaluation={e} />
      </Card>
    </div>
  );
}
