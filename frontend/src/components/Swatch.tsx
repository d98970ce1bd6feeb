/** A colour square for a class colour ("#rrggbb"); hatched when the class has none. */
export function Swatch(props: { color?: string | null; title?: string }) {
  return (
    <span
      class={`swatch${props.color ? "" : " none"}`}
      style={props.color ? { background: props.color } : undefined}
      title={props.title ?? props.color ?? "no colour"}
    />
  );
}
