import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText, type Schemas, unwrap } from "../../api/client";
import { Async, ErrorBox } from "../../components/Async";
import { Card, Page } from "../../components/Page";
import { when } from "../../lib/format";
import { href } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { ModelActions } from "../models/ModelActions";
import { EpochCurves } from "../training/EpochCurves";
import { FINAL, JobStatus } from "./JobStatus";
import { StaleBadge } from "./StaleBadge";
import { useJobEvents } from "./useJobEvents";

/** One job: pinned inputs, outputs, live progress and log (SSE), cancel, per-frame errors. */
export function JobDetail(props: { id: number }) {
  const path = { params: { path: { job_id: props.id } } };
  const q = useQuery(() => unwrap(api.GET("/api/jobs/{job_id}", path)), [props.id]);
  const events = useJobEvents(props.id);
  const [error, setError] = useState<string>();
  const status = events.progress?.status ?? q.data?.status;
  const reload = q.reload;
  useEffect(() => {
    if (events.ended) reload();
  }, [events.ended, reload]);

  async function cancel() {
    setError(undefined);
    try {
      await unwrap(api.POST("/api/jobs/{job_id}/cancel", path));
      q.reload();
    } catch (e) {
      setError(errorText(e));
    }
  }

  return (
    <Async q={q}>
      {(job) => (
        <Page
          title={
            <>
              <a href={href("jobs")}>Jobs</a> / #{job.id} {job.kind}
            </>
          }
          subtitle={<JobStatus job={{ ...job, ...(events.progress ?? {}) }} />}
          actions={
            !FINAL.has(status ?? "") && (
              <button class="btn danger" disabled={job.cancel_requested} onClick={cancel}>
                {job.cancel_requested ? "Cancelling…" : "Cancel job"}
              </button>
            )
          }
        >
          {error && <ErrorBox message={error} />}
          {(events.progress?.error ?? job.error) && <ErrorBox message={(events.progress?.error ?? job.error)!} />}
          <div class="grid-2" style={{ gridTemplateColumns: "minmax(0, 1fr) minmax(0, 1fr)" }}>
            <Card title="Inputs">
              <KeyValues data={job.params} />
            </Card>
            <Card title="Outputs" actions={typeof job.outputs.model_id === "number" && <ModelActions modelId={job.outputs.model_id} />}>
              <KeyValues data={job.outputs} />
              <dl class="kv small" style={{ marginTop: "10px" }}>
                <dt>Created</dt>
                <dd>
                  {when(job.created_at)} by {job.created_by}
                </dd>
                <dt>Started</dt>
                <dd>{when(job.started_at)}</dd>
                <dt>Finished</dt>
                <dd>{when(job.finished_at)}</dd>
              </dl>
            </Card>
          </div>
          {job.kind === "pseudo_label" && status === "succeeded" && <LabelOutput job={job} />}
          {job.kind === "train" && (
            <Card title="Training curves" actions={<a href={href("training/compare", { jobs: job.id })}>Compare runs</a>}>
              <EpochCurves jobId={job.id} live={!FINAL.has(status ?? "")} />
            </Card>
          )}
          <Card title="Log" actions={<span class="muted small">{events.ended ? "finished" : "live"}</span>}>
            <Log lines={events.lines.map((l) => `${new Date(l.time).toLocaleTimeString()}  ${l.level.padEnd(7)} ${l.message}`)} />
          </Card>
          <FrameErrors jobId={job.id} refresh={status} />
        </Page>
      )}
    </Async>
  );
}

function KeyValues(props: { data: Record<string, unknown> }) {
  const entries = Object.entries(props.data ?? {});
  if (!entries.length) return <div class="muted small">none</div>;
  return (
    <dl class="kv">
      {entries.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd class="mono">{linkFor(k, v) ?? (typeof v === "object" ? JSON.stringify(v) : String(v))}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

const LINKED: Record<string, string> = {
  dataset_id: "datasets",
  mapping_id: "mappings",
  taxonomy_id: "taxonomies",
  frame_id: "frames",
  model_id: "models",
  evaluation_id: "evaluations",
};

/** Ids of things the app has a screen for become links (`dataset_id: 3` → the dataset). */
function linkFor(key: string, value: unknown) {
  const section = LINKED[key];
  return section && typeof value === "number" ? <a href={href(`${section}/${value}`)}>{value}</a> : undefined;
}

function Log(props: { lines: string[] }) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [props.lines.length]);
  return (
    <pre class="log" ref={ref} data-testid="job-log">
      {props.lines.length ? props.lines.join("\n") : "waiting for log lines…"}
    </pre>
  );
}

function FrameErrors(props: { jobId: number; refresh?: string }) {
  const q = useQuery(
    () => unwrap(api.GET("/api/jobs/{job_id}/errors", { params: { path: { job_id: props.jobId } } })),
    [props.jobId, props.refresh],
  );
  return (
    <Card title="Per-frame errors">
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty="No frame failed.">
        {(d) => (
          <table class="table" data-testid="frame-errors">
            <thead>
              <tr>
                <th>Frame</th>
                <th>Error</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((e) => (
                <tr key={e.frame}>
                  <td class="mono">{e.frame}</td>
                  <td>{e.message}</td>
                  <td class="muted">{when(e.time)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </Card>
  );
}

/** A succeeded pseudo-label job: browse its frames; how many a rerun on the mapping's head
 * would relabel. */
function LabelOutput(props: { job: Schemas["JobRead"] }) {
  const { params, outputs, id } = props.job;
  const mapping = params.mapping as { mapping_id?: unknown } | undefined;
  const datasetId = typeof params.dataset_id === "number" ? params.dataset_id : undefined;
  const mappingId = typeof mapping?.mapping_id === "number" ? mapping.mapping_id : undefined;
  const folder = typeof outputs.output_dir === "string" ? outputs.output_dir : undefined;
  return (
    <Card
      title="Pseudo-labels"
      actions={
        <a class="btn small primary" href={href(`jobs/${id}/frames`)} data-testid="browse-output">
          Browse frames
        </a>
      }
    >
      {datasetId !== undefined && mappingId !== undefined && folder !== undefined ? (
        <StaleBadge jobId={id} datasetId={datasetId} folder={folder} mappingId={mappingId} />
      ) : (
        <span class="muted small">Staleness is counted for dataset jobs on a stored mapping.</span>
      )}
    </Card>
  );
}
