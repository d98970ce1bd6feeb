// The frame view's stacked layers (image at the bottom), their hotkeys and opacity steps.

export const LAYERS = [
  { key: "image", name: "image", hotkey: "1" },
  { key: "label", name: "ground truth", hotkey: "2" },
  { key: "prediction", name: "prediction", hotkey: "3" },
  { key: "pseudo_label", name: "pseudo-label", hotkey: "4" },
  { key: "difference", name: "difference", hotkey: "5" },
] as const;
export type LayerKey = (typeof LAYERS)[number]["key"];
export type PreviewLayerKey = Exclude<LayerKey, "image" | "label">;
export interface LayerState {
  on: boolean;
  opacity: number;
}
export type Layers = Record<LayerKey, LayerState>;

export const isPreviewLayer = (k: LayerKey): k is PreviewLayerKey => k !== "image" && k !== "label";

export const INITIAL_LAYERS: Layers = {
  image: { on: true, opacity: 1 },
  label: { on: true, opacity: 0.5 },
  prediction: { on: false, opacity: 0.6 },
  pseudo_label: { on: false, opacity: 0.6 },
  difference: { on: false, opacity: 0.8 },
};

const STEPS = [1, 0.75, 0.5, 0.25];

/** The next opacity step below `opacity` (wrapping to fully opaque): what `o` does. */
export function nextOpacity(opacity: number): number {
  return STEPS.find((s) => s < opacity - 1e-6) ?? STEPS[0];
}

/** Typing in a field must not step frames or toggle layers; checkboxes and buttons may. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !["checkbox", "radio", "button", "submit"].includes(target.type);
}
