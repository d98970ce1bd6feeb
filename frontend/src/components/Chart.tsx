// The one place that draws charts: Apache ECharts (see echartsSetup.ts), behind one option type.
import type { BarSeriesOption, HeatmapSeriesOption, LineSeriesOption } from "echarts/charts";
import type {
  GridComponentOption,
  LegendComponentOption,
  MarkLineComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption,
} from "echarts/components";
import type { ComposeOption, ECElementEvent, EChartsType } from "echarts/core";
import { useEffect, useRef } from "preact/hooks";

export type ChartOption = ComposeOption<
  | LineSeriesOption
  | BarSeriesOption
  | HeatmapSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | MarkLineComponentOption
  | TooltipComponentOption
  | VisualMapComponentOption
>;

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** For tooltip formatters: ECharts puts the string they return into the page as HTML. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** An ECharts canvas that follows `option` and its container's width; `onClick` gets
 * ECharts' click events (bars, and axis labels where the axis has `triggerEvent`). */
export function Chart(props: { option: ChartOption; label: string; height?: number; testId?: string; onClick?: (event: ECElementEvent) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsType | null>(null);
  const latest = useRef(props.option);
  latest.current = props.option;
  const onClick = useRef(props.onClick);
  onClick.current = props.onClick;
  useEffect(() => {
    let gone = false;
    let resize: ResizeObserver | undefined;
    void import("./echartsSetup").then(({ init }) => {
      if (gone || !box.current) return;
      const c = init(box.current);
      chart.current = c;
      c.setOption(latest.current, { notMerge: true });
      c.on("click", (event) => onClick.current?.(event));
      resize = new ResizeObserver(() => c.resize());
      resize.observe(box.current);
    });
    return () => {
      gone = true;
      resize?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(props.option, { notMerge: true });
  }, [props.option]);
  return <div ref={box} class="chart" role="img" aria-label={props.label} data-testid={props.testId} style={{ height: `${props.height ?? 260}px` }} />;
}
