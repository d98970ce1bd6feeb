import { useEffect, useState } from "preact/hooks";
import type { FieldSpec, Json, Widget } from "../../lib/jsonSchema";
import type { Choice } from "./context";

interface InputProps {
  id: string;
  /** The form path, for tests and for a person's devtools: `options.void_threshold`. */
  path: string;
  invalid: boolean;
  value: Json | undefined;
  onChange: (value: Json | undefined) => void;
}

/** How a text box reads and writes one kind of value; empty text is unset. */
export interface TextFormat {
  parse: (text: string) => Json | undefined;
  format: (value: Json | undefined) => string;
  /** What the box takes, for the help line ("integers, comma-separated"). */
  takes: (spec: FieldSpec) => string | undefined;
}

// A number that does not parse is sent as typed: the API's message says what is wrong.
const scalar = (type?: string) => (text: string): Json =>
  type === "number" || type === "integer" ? (Number.isFinite(Number(text)) ? Number(text) : text) : text;

export function textFormats(widget: Widget, itemType?: string): TextFormat {
  const blank = (text: string) => text.trim() === "";
  if (widget === "list")
    return {
      parse: (t) => (blank(t) ? undefined : t.split(",").map((s) => s.trim()).filter(Boolean).map(scalar(itemType))),
      format: (v) => (Array.isArray(v) ? v.join(", ") : v == null ? "" : String(v)),
      takes: (spec) => {
        const n = spec.schema.prefixItems?.length;
        return n ? `${n} ${itemType}s, comma-separated` : `${itemType}s, comma-separated`;
      },
    };
  if (widget === "json")
    return {
      parse: (t) => {
        if (blank(t)) return undefined;
        try {
          return JSON.parse(t) as Json;
        } catch {
          return t;
        }
      },
      format: (v) => (v === undefined ? "" : JSON.stringify(v, null, 2)),
      takes: () => "JSON",
    };
  return {
    parse: (t) => (blank(t) ? undefined : scalar(widget)(widget === "string" ? t : t.trim())),
    format: (v) => (v == null ? "" : String(v)),
    // A pattern is for the server; the description says it in words when there is one.
    takes: (spec) => (spec.schema.pattern && !spec.description ? `matching ${spec.schema.pattern}` : undefined),
  };
}

const same = (a: Json | undefined, b: Json | undefined) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A text box for numbers, strings, comma lists or JSON. It keeps what is typed ("0." while
 * typing 0.5) and reports each parsed value at once, so a submit sees the latest input.
 */
export function TextInput(props: InputProps & { format: TextFormat; multiline?: boolean; placeholder?: string; inputMode?: "numeric" | "decimal" }) {
  const { parse, format } = props.format;
  const [text, setText] = useState(() => format(props.value));
  useEffect(() => {
    if (!same(parse(text), props.value)) setText(format(props.value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.value]);
  const attrs = {
    id: props.id,
    "data-path": props.path,
    class: "input",
    "aria-invalid": props.invalid,
    placeholder: props.placeholder,
    inputMode: props.inputMode,
    value: text,
    onInput: (e: Event) => {
      const t = (e.target as HTMLInputElement).value;
      setText(t);
      props.onChange(parse(t));
    },
  };
  return props.multiline ? <textarea rows={3} {...attrs} /> : <input type="text" {...attrs} />;
}

export function Checkbox(props: InputProps) {
  return (
    <input
      type="checkbox"
      id={props.id}
      data-path={props.path}
      aria-invalid={props.invalid}
      checked={props.value === true}
      onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)}
    />
  );
}

/** A select whose options are indexes into `values`, so non-string enums round-trip. */
function IndexSelect(props: InputProps & { values: Json[]; labels: string[]; optional: boolean }) {
  const at = props.values.findIndex((v) => same(v, props.value));
  const unknown = at < 0 && props.value !== undefined;
  return (
    <select
      id={props.id}
      data-path={props.path}
      class="input"
      aria-invalid={props.invalid}
      value={unknown ? "unknown" : at < 0 ? "" : String(at)}
      onChange={(e) => {
        const v = (e.target as HTMLSelectElement).value;
        props.onChange(v === "" ? undefined : v === "unknown" ? props.value : props.values[Number(v)]);
      }}
    >
      {(props.optional || at < 0) && <option value="">{props.optional ? "— unset —" : "— choose —"}</option>}
      {unknown && <option value="unknown">{JSON.stringify(props.value)} (not listed)</option>}
      {props.labels.map((label, i) => (
        <option key={i} value={String(i)}>
          {label}
        </option>
      ))}
    </select>
  );
}

export function EnumSelect(props: InputProps & { options: unknown[]; optional: boolean }) {
  const values = props.options as Json[];
  return <IndexSelect {...props} values={values} labels={values.map(String)} />;
}

/** An id field with the screen's list of things it may name (models, datasets, …). */
export function ChoiceSelect(props: InputProps & { choices: Choice[]; optional: boolean }) {
  return <IndexSelect {...props} values={props.choices.map((c) => c.value)} labels={props.choices.map((c) => c.label)} />;
}
