import { useState } from "preact/hooks";
import type { PreviewResult } from "./usePreview";
import { OpacitySlider } from "../../../components/OpacitySlider";

export const LAYERS = ["pseudo_label", "prediction", "ground_truth", "difference"] as const;
export type Layer = (typeof LAYERS)[number];
const LAYER_NAMES: Record<Layer, string> = {
  pseudo_label: "pseudo-label",
  prediction: "prediction",
  ground_truth: "ground truth",
  difference: "difference",
};

/** A point on the picture as fractions of its width and height. */
export interface Point {
  fx: number;
  fy: number;
}

function pointOf(e: MouseEvent): Point {
  const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
  return { fx: (e.clientX - box.left) / box.width, fy: (e.clientY - box.top) / box.height };
}

/**
 * One layer over the frame's image (opacity slider), as tabs. Reports the pointer's
 * position for hover info, and a click to pin a pixel.
 */
export function PreviewCanvas(props: {
  frameId: number;
  result: PreviewResult;
  pin?: Point;
  onHover: (p: Point | undefined) => void;
  onPin: (p: Point) => void;
}) {
  const [layer, setLayer] = useState<Layer>("pseudo_label");
  const [opacity, setOpacity] = useState(0.75);
  const src = layer === "ground_truth" ? `/api/frames/${props.frameId}/label` : props.result[layer];
  return (
    <>
      <div class="tabs preview-tabs" role="tablist">
        {LAYERS.map((l) => (
          <button key={l} role="tab" aria-selected={layer === l} data-testid={`preview-layer-${l}`} class={`tab small${layer === l ? " active" : ""}`} onClick={() => setLayer(l)}>
            {LAYER_NAMES[l]}
          </button>
        ))}
      </div>
      <div
        class="preview-stack"
        data-testid="preview-stack"
        onMouseMove={(e) => props.onHover(pointOf(e))}
        onMouseLeave={() => props.onHover(undefined)}
        onClick={(e) => props.onPin(pointOf(e))}
      >
        <img class="preview preview-under" src={`/api/frames/${props.frameId}/image`} alt="frame image" draggable={false} />
        <img class="preview preview-layer" data-testid="preview-image" style={{ opacity }} src={src} alt={`${layer} preview`} draggable={false} />
        {props.pin && <span class="preview-pin" style={{ left: `${props.pin.fx * 100}%`, top: `${props.pin.fy * 100}%` }} />}
      </div>
      <label class="row small muted preview-opacity">
        overlay
        <OpacitySlider value={opacity} onChange={setOpacity} label="overlay opacity" testId="preview-opacity" />
        {Math.round(opacity * 100)}%
      </label>
    </>
  );
}
