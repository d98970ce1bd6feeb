// Chart options for evaluations: per-class IoU bars and the confusion matrix heatmap.
import type { Schemas } from "../../api/client";
import { type ChartOption, escapeHtml } from "../../components/Chart";

type Evaluation = Schemas["EvaluationRead"];

const pct = (x: number | null | undefined) => (x == null ? null : Math.round(x * 1000) / 10);

/** Per-class IoU in percent; several evaluations become grouped bars, matched by class name. */
export function iouBarsOption(evaluations: { label: string; evaluation: Evaluation }[]): ChartOption {
  const classes = [...new Set(evaluations.flatMap((e) => e.evaluation.class_names))];
  return {
    animation: false,
    grid: { left: 48, right: 16, top: 36, bottom: 90 },
    legend: evaluations.length > 1 ? { top: 0 } : undefined,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "category", data: classes, axisLabel: { rotate: 45, interval: 0, fontSize: 11, width: 110, overflow: "truncate" } },
    yAxis: { type: "value", name: "IoU %", min: 0, max: 100 },
    series: evaluations.map(({ label, evaluation }) => ({
      type: "bar",
      name: label,
      data: classes.map((c) => pct(evaluation.per_class_iou[evaluation.class_names.indexOf(c)])),
    })),
  };
}

/** The confusion matrix, rows truth and columns prediction (last: ignored), each row as
 * shares of its pixels so rare classes read as clearly as common ones. */
export function confusionOption(evaluation: Evaluation): ChartOption {
  const names = evaluation.class_names;
  const columns = [...names, "ignore"];
  const data: [number, number, number, number][] = [];
  evaluation.confusion.forEach((row, truth) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, predicted) => {
      if (count > 0) data.push([predicted, truth, total ? count / total : 0, count]);
    });
  });
  const dense = names.length > 30;
  const label = { fontSize: 11, width: 100, overflow: "truncate" as const, interval: dense ? ("auto" as const) : 0 };
  return {
    animation: false,
    grid: { left: 110, right: 24, top: 16, bottom: 110 },
    tooltip: {
      formatter: (p) => {
        const item = Array.isArray(p) ? p[0] : p;
        const [x, y, share, count] = item.value as number[];
        return `truth <b>${escapeHtml(names[y])}</b> → predicted <b>${escapeHtml(columns[x])}</b><br/>${count.toLocaleString()} px (${(share * 100).toFixed(1)}% of the row)`;
      },
    },
    // The card says which axis is which: axis names would crowd the long class names.
    xAxis: { type: "category", data: columns, axisLabel: { ...label, rotate: 60 } },
    yAxis: { type: "category", data: names, inverse: true, axisLabel: label },
    visualMap: { min: 0, max: 1, dimension: 2, precision: 2, calculable: false, orient: "horizontal", right: 0, bottom: 0, itemHeight: 120, text: ["100%", "0"], inRange: { color: ["#f4f7fb", "#2f6fdb", "#0b2a66"] } },
    series: [
      {
        type: "heatmap",
        data,
        progressive: 0,
        label: { show: names.length <= 12, fontSize: 10, formatter: (p) => `${Math.round((p.value as number[])[2] * 100)}%` },
      },
    ],
  };
}

export const heatmapHeight = (classes: number) => Math.min(900, Math.max(320, classes * 18 + 140));
