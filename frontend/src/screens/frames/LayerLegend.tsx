import { LAYERS, type LayerKey, type Layers } from "./layers";
import { OpacitySlider } from "../../components/OpacitySlider";

/** Each layer's switch, hotkey and opacity; a layer that cannot be drawn is disabled. */
export function LayerLegend(props: {
  layers: Layers;
  enabled: (k: LayerKey) => boolean;
  active: LayerKey;
  onToggle: (k: LayerKey) => void;
  onOpacity: (k: LayerKey, opacity: number) => void;
}) {
  return (
    <div class="layer-legend" role="group" aria-label="layers" data-testid="layer-legend">
      {LAYERS.map(({ key, name, hotkey }) => {
        const state = props.layers[key];
        const enabled = props.enabled(key);
        return (
          <div key={key} class={`layer-row${props.active === key ? " active" : ""}${enabled ? "" : " disabled"}`} data-testid={`legend-${key}`}>
            <label class="row">
              <input type="checkbox" aria-label={`layer ${name}`} checked={state.on && enabled} disabled={!enabled} onChange={() => props.onToggle(key)} />
              <kbd>{hotkey}</kbd>
              <span>{name}</span>
            </label>
            <OpacitySlider value={state.opacity} disabled={!enabled} label={`${name} opacity`} onChange={(o) => props.onOpacity(key, o)} />
            <span class="mono small muted">{Math.round(state.opacity * 100)}%</span>
          </div>
        );
      })}
      <div class="muted small">
        <kbd>j</kbd>/<kbd>→</kbd> next · <kbd>k</kbd>/<kbd>←</kbd> previous · <kbd>1</kbd>–<kbd>5</kbd> layers · <kbd>o</kbd> opacity of the highlighted layer
      </div>
    </div>
  );
}
