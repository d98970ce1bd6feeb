// How far a job is and how long it has left: percentage, ETA from its progress rate, or
// the time it took. Pure, so the rules can be read (and checked) apart from the screen.

/** A progress reading: `done` units at `time` (ms since the epoch). */
export interface Sample {
  time: number;
  done: number;
}

export interface Timing {
  status: string;
  done: number;
  total: number;
  started_at?: string | null;
  finished_at?: string | null;
}

/** Rates are taken over this recent window of readings, so a job that sped up or slowed
 * down is judged by how it goes now, not by its first minutes. */
export const WINDOW_MS = 60_000;
/** Less than this much time or no unit done since: not enough signal for an ETA. */
export const MIN_SPAN_MS = 2_000;

const FINAL = new Set(["succeeded", "failed", "cancelled"]);

export function percent(t: Pick<Timing, "status" | "done" | "total">): string {
  if (t.total > 0) return `${Math.floor((Math.min(t.done, t.total) / t.total) * 100)}%`;
  return t.status === "succeeded" ? "100%" : "—";
}

/** `1h 05m`, `3m 20s`, `45s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** Units per ms: over the readings of the last `WINDOW_MS`, else since the job started. */
export function rate(t: Timing, samples: Sample[], now: number): number | undefined {
  const recent = samples.filter((s) => now - s.time <= WINDOW_MS);
  if (recent.length >= 2) {
    const first = recent[0];
    const last = recent[recent.length - 1];
    const span = last.time - first.time;
    if (span >= MIN_SPAN_MS && last.done > first.done) return (last.done - first.done) / span;
  }
  const started = t.started_at ? Date.parse(t.started_at) : NaN;
  const elapsed = now - started;
  if (Number.isFinite(elapsed) && elapsed >= MIN_SPAN_MS && t.done > 0) return t.done / elapsed;
  return undefined;
}

/** `~3m 20s left` while running, `took 4m 02s` once finished, `—` without enough signal. */
export function eta(t: Timing, samples: Sample[], now: number): string {
  if (FINAL.has(t.status)) {
    const start = t.started_at ? Date.parse(t.started_at) : NaN;
    const end = t.finished_at ? Date.parse(t.finished_at) : NaN;
    return Number.isFinite(end - start) ? `took ${duration(end - start)}` : "—";
  }
  if (t.status !== "running" || t.total <= 0) return "—";
  const perMs = rate(t, samples, now);
  if (!perMs) return "—";
  return `~${duration(Math.max(0, t.total - t.done) / perMs)} left`;
}

/** `samples` with a reading of `done` at `now` added when it moved, older ones dropped. */
export function withSample(samples: Sample[], done: number, now: number): Sample[] {
  const last = samples[samples.length - 1];
  if (last && last.done === done) return samples;
  return [...samples.filter((s) => now - s.time <= WINDOW_MS), { time: now, done }];
}
