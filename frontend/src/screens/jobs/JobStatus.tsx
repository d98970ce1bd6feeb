import { useEffect, useState } from "preact/hooks";
import type { Schemas } from "../../api/client";
import { eta, percent, type Sample, type Timing, withSample } from "./eta";

type Progress = Pick<Schemas["JobRead"], "status" | "done" | "total"> & Partial<Pick<Schemas["JobRead"], "started_at" | "finished_at">>;

export const FINAL = new Set(["succeeded", "failed", "cancelled"]);

/** Status badge, a progress bar with `done / total` and percentage, and the ETA (or the
 * time a finished job took), from the rate of the readings this view has seen. */
export function JobStatus(props: { job: Progress }) {
  const { status, done, total } = props.job;
  const share = total > 0 ? Math.min(1, done / total) : FINAL.has(status) ? 1 : 0;
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => setSamples((s) => withSample(s, done, Date.now())), [done]);
  const timing: Timing = props.job;
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
      <span class="small mono" data-testid="job-percent">
        {percent(props.job)}
      </span>
      <span class="muted small" data-testid="job-eta" aria-label="time left">
        {eta(timing, samples, Date.now())}
      </span>
    </span>
  );
}
