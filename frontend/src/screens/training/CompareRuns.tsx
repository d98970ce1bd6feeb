import { api, type Schemas, unwrap } from "../../api/client";
import { fetchEpochs } from "../../api/epochs";
import { Async } from "../../components/Async";
import { Chart } from "../../components/Chart";
import { Card, Page } from "../../components/Page";
import { when } from "../../lib/format";
import { href, navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { JobStatus } from "../jobs/JobStatus";
import { lineOption, lossCurve, miouCurves } from "./curves";

const runName = (job: Schemas["JobRead"]) => (typeof job.params.register_as === "string" ? `#${job.id} ${job.params.register_as}` : `#${job.id}`);

/** `#/training/compare?jobs=3,5`: train jobs' val mIoU and loss curves overlaid. */
export function CompareRuns(props: { query: URLSearchParams }) {
  const ids = (props.query.get("jobs") ?? "").split(",").map(Number).filter((n) => n > 0);
  const jobs = useQuery(() => unwrap(api.GET("/api/jobs", { params: { query: { kind: "train", limit: 500 } } })), []);
  const toggle = (id: number) => navigate("training/compare", { jobs: (ids.includes(id) ? ids.filter((i) => i !== id) : [...ids, id]).join(",") });
  return (
    <Page
      title={
        <>
          <a href={href("training")}>Training</a> / Compare runs
        </>
      }
    >
      <Curves ids={ids} names={new Map((jobs.data?.items ?? []).map((j) => [j.id, runName(j)]))} />
      <Card title="Train jobs">
        <Async q={jobs} isEmpty={(d) => d.items.length === 0} empty="No train jobs yet.">
          {(d) => (
            <table class="table" data-testid="run-picker">
              <tbody>
                {d.items.map((j) => (
                  <tr key={j.id}>
                    <td>
                      <input type="checkbox" aria-label={`compare train job ${j.id}`} checked={ids.includes(j.id)} onChange={() => toggle(j.id)} />
                    </td>
                    <td>
                      <a href={href(`jobs/${j.id}`)}>{runName(j)}</a>
                    </td>
                    <td>
                      <JobStatus job={j} />
                    </td>
                    <td class="muted">{when(j.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Async>
      </Card>
    </Page>
  );
}

function Curves(props: { ids: number[]; names: Map<number, string> }) {
  const q = useQuery(() => Promise.all(props.ids.map(fetchEpochs)), [props.ids.join(",")]);
  const name = (id: number) => props.names.get(id) ?? `#${id}`;
  return (
    <Card title="Curves">
      <Async q={q} isEmpty={(runs) => runs.every((r) => r.items.length === 0)} empty={props.ids.length ? "No epochs yet." : "Tick train jobs below."}>
        {(runs) => (
          <div class="charts-2" data-testid="compare-curves">
            <Chart label="validation mIoU of the runs" option={lineOption(runs.flatMap((r, i) => miouCurves(r.items, name(props.ids[i]))), { y: "val mIoU %" })} />
            <Chart label="training loss of the runs" option={lineOption(runs.map((r, i) => lossCurve(r.items, name(props.ids[i]))), { y: "loss" })} />
          </div>
        )}
      </Async>
    </Card>
  );
}
