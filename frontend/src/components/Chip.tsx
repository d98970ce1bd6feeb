import type { ComponentChildren } from "preact";

/** A label chip; `onRemove` adds the × button. */
export function Chip(props: {
  children: ComponentChildren;
  tone?: "default" | "added" | "removed" | "warn" | "error";
  onRemove?: () => void;
  title?: string;
}) {
  return (
    <span class={`chip ${props.tone ?? "default"}`} title={props.title}>
      {props.children}
      {props.onRemove && (
        <button class="chip-x" aria-label="remove label" onClick={props.onRemove}>
          ×
        </button>
      )}
    </span>
  );
}
