import { useEffect, useState } from "preact/hooks";

/**
 * A text box that reports its value on change (blur or Enter), not per keystroke, yet keeps
 * what is typed across re-renders (a plain controlled input with only onChange loses it).
 */
export function CommitInput(props: {
  value: string;
  onCommit: (value: string) => void;
  class?: string;
  style?: Record<string, string | number>;
  type?: "text" | "number";
  min?: number;
  placeholder?: string;
  "aria-label"?: string;
}) {
  const { value, onCommit } = props;
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  return (
    <input
      // Preact 11 types each input type separately; "number" and "text" share these props.
      type={(props.type ?? "text") as "text"}
      class={props.class}
      style={props.style}
      min={props.min}
      placeholder={props.placeholder}
      aria-label={props["aria-label"]}
      value={text}
      onInput={(e) => setText((e.target as HTMLInputElement).value)}
      onChange={(e) => onCommit((e.target as HTMLInputElement).value)}
    />
  );
}
