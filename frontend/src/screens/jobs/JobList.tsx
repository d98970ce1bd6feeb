import { useEffect } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { JOB_KINDS } from "../../api/jobKinds";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { when } from "../../lib/format";
import { href, navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { FINAL, JobStatus } from "./JobStatus";

const STATUSES: Schemas["JobRead"]["status"][] = ["queued", "planning", "running", "succeeded", "failed", "cancelled"];

/** Jobs, newest first; refreshes itself while any job is still active. */
export function JobList(props: { query: URLSearchParams }) {
  const kind = props.query.get("kind") ?? "";
  const status = props.query.get("status") ?? "";
  const statusFilter = STATUSES.find((s) => s === status); // an unknown one in the URL: all
  const q = useQuery(
    () => unwrap(api.GET("/api/jobs", { params: { query: { kind: kind || undefined, status: statusFilter } } })),
    [kind, status],
  );
  const filter = (key: "kind" | "status") => (e: Event) =>
    navigate("jobs", { kind, status, [key]: (e.target as HTMLSelectElement).value });
  const active = q.data?.items.some((j) => !FINAL.has(j.status));
  useEffect(() => {
    if (!active) return;
    const t = setInterval(q.reload, 2000);
    return () => clearInterval(t);
  }, [active, q.reload]);
  return (
    <Page
      title="Jobs"
      subtitle="Work queued on the workers: indexing, previews, pseudo-labels, training, evaluation."
      actions={
        <a class="btn primary" href={href("jobs/new", { kind: kind || undefined })}>
          New job
        </a>
      }
    >
      <div class="row" style={{ marginBottom: "10px" }}>
        <select class="input" aria-label="job kind" value={kind} onChange={filter("kind")}>
          <option value="">all kinds</option>
          {JOB_KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <select class="input" aria-label="job status" value={status} onChange={filter("status")}>
          <option value="">any status</option>
          {STATUSES.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      </div>
      <Async q={q} isEmpty={(d) => d.items.length === 0} empty={kind || status ? "No job matches." : "No jobs yet."}>
        {(d) => (
          <div class="table-wrap">
            <table class="table" data-testid="job-table">
              <thead>
                <tr>
                  <th class="num">#</th>
                  <th>Kind</th>
                  <th>Status</th>
                  <th>By</th>
                  <th>Created</th>
                  <th>Finished</th>
                  <th>Error</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((j) => (
                  <tr key={j.id}>
                    <td class="num mono">
                      <a href={href(`jobs/${j.id}`)}>{j.id}</a>
                    </td>
                    <td>
                      <a href={href(`jobs/${j.id}`)}>{j.kind}</a>
                    </td>
                    <td>
                      <JobStatus job={j} />
                    </td>
                    <td>{j.created_by}</td>
                    <td class="muted">{when(j.created_at)}</td>
                    <td class="muted">{when(j.finished_at)}</td>
                    <td class="small" style={{ maxWidth: "320px" }}>
                      {j.error}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </Page>
  );
}
