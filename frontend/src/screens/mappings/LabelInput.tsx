import { useState } from "preact/hooks";

/** A text box that completes extra-taxonomy label names; Enter adds the highlighted one. */
export function LabelInput(props: { options: string[]; exclude: string[]; onAdd: (label: string) => void; rowName: string }) {
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const needle = text.trim().toLowerCase();
  const matches = props.options
    .filter((o) => !props.exclude.includes(o) && o.toLowerCase().includes(needle))
    .sort((a, b) => Number(!a.toLowerCase().startsWith(needle)) - Number(!b.toLowerCase().startsWith(needle)))
    .slice(0, 12);

  function add(label: string) {
    if (!label.trim()) return;
    props.onAdd(label);
    setText("");
    setActive(0);
  }

  function onKey(e: KeyboardEvent) {
    if (e.key === "ArrowDown") setActive((a) => Math.min(a + 1, matches.length - 1));
    else if (e.key === "ArrowUp") setActive((a) => Math.max(a - 1, 0));
    else if (e.key === "Escape") setOpen(false);
    else if (e.key === "Enter") {
      e.preventDefault();
      // A name outside the taxonomy is allowed on purpose: lint then reports it.
      add(matches[active] ?? text.trim());
    } else return;
    e.preventDefault();
  }

  return (
    <span class="ac">
      <input
        class="input small"
        placeholder="+ label"
        aria-label={`add label to ${props.rowName}`}
        value={text}
        size={10}
        onInput={(e) => {
          setText((e.target as HTMLInputElement).value);
          setOpen(true);
          setActive(0);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKey}
      />
      {open && matches.length > 0 && (
        <div class="ac-list" role="listbox">
          {matches.map((m, i) => (
            <div
              key={m}
              role="option"
              class={`ac-item${i === active ? " active" : ""}`}
              onMouseDown={(e) => {
                e.preventDefault();
                add(m);
              }}
            >
              {m}
            </div>
          ))}
        </div>
      )}
    </span>
  );
}
