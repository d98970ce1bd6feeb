// Per-epoch metrics as line series, for one run's curves and for several runs overlaid.
import type { EpochRead } from "../../api/epochs";
import type { ChartOption } from "../../components/Chart";

export interface Curve {
  name: string;
  points: [number, number | null][];
}

export const lossCurve = (epochs: EpochRead[], name = "loss"): Curve => ({
  name,
  points: epochs.map((e) => [e.epoch, e.loss]),
});

/** One curve per parameter group (the encoder's rate is usually lower). */
export function lrCurves(epochs: EpochRead[]): Curve[] {
  const groups = [...new Set(epochs.flatMap((e) => Object.keys(e.lrs)))];
  return groups.map((g) => ({ name: g, points: epochs.map((e) => [e.epoch, e.lrs[g] ?? null]) }));
}

/** val mIoU in percent, one curve per validation set (named `prefix · set` when given). */
export function miouCurves(epochs: EpochRead[], prefix?: string): Curve[] {
  const sets = [...new Set(epochs.flatMap((e) => Object.keys(e.val)))];
  return sets.map((s) => ({
    name: prefix ? `${prefix} · ${s}` : s,
    points: epochs.filter((e) => e.val[s]).map((e) => [e.epoch, pct(e.val[s].miou)]),
  }));
}

const pct = (x: number | null) => (x == null ? null : Math.round(x * 10000) / 100);

/** The epoch the fine-tune on the source alone began, if it has. */
export const fineTuneStart = (epochs: EpochRead[]) => epochs.find((e) => e.phase === "fine_tune")?.epoch;

/** A line chart of `curves` over epochs; `mark` draws a labelled line at that epoch. */
export function lineOption(curves: Curve[], opts: { y: string; log?: boolean; mark?: number }): ChartOption {
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 60, bottom: 36 },
    legend: { type: "scroll", top: 0 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "value", name: "epoch", nameLocation: "middle", nameGap: 24, minInterval: 1 },
    yAxis: { type: opts.log ? "log" : "value", name: opts.y, scale: true },
    series: curves.map((c, i) => ({
      type: "line",
      name: c.name,
      data: c.points,
      showSymbol: c.points.length < 40,
      connectNulls: true,
      markLine:
        i === 0 && opts.mark !== undefined
          ? { symbol: "none", silent: true, label: { formatter: "fine-tune" }, lineStyle: { type: "dashed" }, data: [{ xAxis: opts.mark }] }
          : undefined,
    })),
  };
}
