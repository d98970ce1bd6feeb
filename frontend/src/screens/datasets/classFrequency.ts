// Chart option for a dataset's class frequency: per label, the share of frames holding it
// and its share of all labelled pixels, each bar in the class colour.
import type { Schemas } from "../../api/client";
import { type ChartOption, escapeHtml } from "../../components/Chart";

type Occurrence = Schemas["LabelOccurrence"];

const NO_COLOR = "#8c959f";
// Percent, rounded; on a log axis a zero has no place, so it is left out (no bar).
const percent = (x: number, log: boolean) => (log && x <= 0 ? null : Math.round(x * 1e6) / 1e4);

export const labelName = (o: Occurrence) => o.name ?? `id ${o.label_id}`;

/** Two bars per label (frame share solid, pixel share pale); categories are label ids so a
 * click on a bar or on its axis label names the label whatever it is called. */
export function classFrequencyOption(items: Occurrence[], colors: Map<number, string | null>, log: boolean): ChartOption {
  const names = new Map(items.map((o) => [String(o.label_id), labelName(o)]));
  const color = (o: Occurrence) => colors.get(o.label_id) ?? NO_COLOR;
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 36, bottom: 90 },
    legend: { top: 0, data: ["frames holding it", "pixel share"] },
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      formatter: (p) => {
        const o = items[(Array.isArray(p) ? p[0] : p).dataIndex];
        return `<b>${escapeHtml(labelName(o))}</b> (id ${o.label_id})<br/>frames: ${o.frames.toLocaleString()} (${(o.frame_share * 100).toFixed(1)}%)<br/>pixels: ${(o.pixel_share * 100).toFixed(2)}%`;
      },
    },
    xAxis: {
      type: "category",
      data: items.map((o) => String(o.label_id)),
      triggerEvent: true,
      axisLabel: { rotate: 45, interval: items.length > 40 ? "auto" : 0, fontSize: 11, width: 110, overflow: "truncate", formatter: (id: string) => names.get(id) ?? id },
    },
    yAxis: log ? { type: "log", name: "% (log)", max: 100 } : { type: "value", name: "%", min: 0, max: 100 },
    series: [
      {
        type: "bar",
        name: "frames holding it",
        itemStyle: { color: NO_COLOR },
        data: items.map((o) => ({ value: percent(o.frame_share, log), itemStyle: { color: color(o) } })),
      },
      {
        type: "bar",
        name: "pixel share",
        itemStyle: { color: NO_COLOR, opacity: 0.45 },
        data: items.map((o) => ({ value: percent(o.pixel_share, log), itemStyle: { color: color(o), opacity: 0.45 } })),
      },
    ],
  };
}
