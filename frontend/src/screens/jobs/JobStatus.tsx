import type { Schemas } from "../../api/client";

type Progress = Pick<Schemas["JobRead"], "status" | "done" | "total">;

export const FINAL = new Set(["succeeded", "failed", "cancelled"]);

/** Status badge and a progress bar with `done / total`. */
export function JobStatus(props: { job: Progress }) {
  const { status, done, total } = props.job;
  const share = total > 0 ? Math.min(1, done / total) : FINAL.has(status) ? 1 : 0;
  return (
    <span class="row" style={{ flexWrap: "nowrap" }}>
      <span class={`badge ${status}`} data-testid="job-status">
        {status}
      </span>
      <span class="progress" style={{ width: "120px" }} title={`${done} / ${total}`}>
        <div style={{ width: `${share * 100}%` }} />
      </span>
      <span class="muted small mono">
        {done}/{total}
      </span>
    </span>
  );
}
