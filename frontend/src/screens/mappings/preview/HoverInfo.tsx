import type { PixelInfo } from "./pixels";

/** The ground-truth label under the pointer, what the draft allows it to become, what was chosen. */
export function HoverInfo(props: { info?: PixelInfo; pinned: boolean }) {
  const { info } = props;
  if (!info) return <div class="muted small preview-hover" data-testid="preview-hover">Point at the picture for a pixel's label and class; click to pin it.</div>;
  const allowed = info.allowed.map((a) => a.name).join(", ");
  return (
    <dl class="kv small preview-hover" data-testid="preview-hover" aria-live="polite">
      <dt>extra label{props.pinned ? " (pinned)" : ""}</dt>
      <dd data-testid="hover-extra-label">{info.extraLabel}</dd>
      <dt>allowed</dt>
      <dd data-testid="hover-allowed">{allowed || (info.void ? "void (the void row names it)" : "nothing: ignored")}</dd>
      <dt>chosen</dt>
      <dd data-testid="hover-chosen">{info.chosen ?? "void/ignored"}</dd>
    </dl>
  );
}
