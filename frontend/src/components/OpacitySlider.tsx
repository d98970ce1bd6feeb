/** A 0–1 opacity range input in 5% steps, used by every layered image view. */
export function OpacitySlider(props: {
  value: number;
  onChange: (opacity: number) => void;
  label: string;
  testId?: string;
  disabled?: boolean;
}) {
  return (
    <input
      type="range"
      min={0}
      max={1}
      step={0.05}
      value={props.value}
      disabled={props.disabled}
      aria-label={props.label}
      data-testid={props.testId}
      onInput={(e) => props.onChange(Number((e.target as HTMLInputElement).value))}
    />
  );
}
