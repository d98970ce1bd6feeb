import { useEffect } from "preact/hooks";
import { fetchEpochs } from "../../api/epochs";
import { Async } from "../../components/Async";
import { Chart } from "../../components/Chart";
import { useQuery } from "../../lib/useQuery";
import { fineTuneStart, lineOption, lossCurve, lrCurves, miouCurves } from "./curves";

const REFRESH_MS = 3000;

/** A train job's loss, learning rates and val mIoU per epoch, refreshed while it runs. */
export function EpochCurves(props: { jobId: number; live: boolean }) {
  const q = useQuery(() => fetchEpochs(props.jobId), [props.jobId]);
  const { reload } = q;
  useEffect(() => {
    if (!props.live) return;
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [props.live, reload]);
  return (
    <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No epochs yet.">
      {(d) => {
        const mark = fineTuneStart(d.items);
        return (
          <div class="charts-3" data-testid="epoch-curves">
            <Chart label="training loss per epoch" option={lineOption([lossCurve(d.items)], { y: "loss", mark })} />
            <Chart label="learning rate per epoch" option={lineOption(lrCurves(d.items), { y: "learning rate", log: true, mark })} />
            <Chart label="validation mIoU per epoch" option={lineOption(miouCurves(d.items), { y: "val mIoU %", mark })} />
          </div>
        );
      }}
    </Async>
  );
}
