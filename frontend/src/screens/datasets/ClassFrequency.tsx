import type { ECElementEvent } from "echarts/core";
import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { Async } from "../../components/Async";
import { Chart } from "../../components/Chart";
import { Card } from "../../components/Page";
import { navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { classFrequencyOption } from "./classFrequency";

/** Frame and pixel share per label as bars; a click on one shows the frames holding it. */
export function ClassFrequency(props: { datasetId: number; taxonomy: Schemas["TaxonomyDetailRead"] }) {
  const q = useQuery(
    () => unwrap(api.GET("/api/datasets/{dataset_id}/occurrence", { params: { path: { dataset_id: props.datasetId } } })),
    [props.datasetId],
  );
  const [log, setLog] = useState(false);
  const colors = new Map(props.taxonomy.classes.map((c) => [c.id, c.color ?? null]));
  return (
    <Card
      title="Class frequency"
      actions={
        <button class={`btn small${log ? " active" : ""}`} aria-pressed={log} data-testid="class-frequency-log" onClick={() => setLog(!log)}>
          Log scale
        </button>
      }
    >
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No labels counted yet — index the dataset first.">
        {(d) => {
          const open = (e: ECElementEvent) => {
            const id = e.componentType === "xAxis" ? e.value : d.items[e.dataIndex]?.label_id;
            if (id !== undefined && id !== null) navigate(`datasets/${props.datasetId}`, { label: String(id) });
          };
          return (
            <>
              <Chart
                option={classFrequencyOption(d.items, colors, log)}
                label={`Share of frames and of pixels for each of ${d.items.length} labels`}
                height={300}
                testId="class-frequency-chart"
                onClick={open}
              />
              <div class="muted small" data-testid="class-frequency-count">
                {d.items.length} labels · click a bar or a label to show its frames
              </div>
            </>
          );
        }}
      </Async>
    </Card>
  );
}
