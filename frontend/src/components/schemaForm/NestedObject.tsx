import { errorsFor } from "../../lib/fieldErrors";
import { initialObject, type Json, type JsonObject, pathKey } from "../../lib/jsonSchema";
import { useForm } from "./context";
import { type FieldProps, fieldTitle } from "./Field";
import { plain } from "./help";
import { ObjectFields } from "./ObjectFields";

export const asObject = (v: Json | undefined): JsonObject | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? v : undefined;

/** Messages the server gave for this group itself (a validator across its fields). */
export function GroupErrors(props: { path: string }) {
  const { errors } = useForm();
  return (
    <>
      {errorsFor(errors, props.path, false).map((m) => (
        <div key={m} class="field-error" role="alert">
          {m}
        </div>
      ))}
    </>
  );
}

/**
 * A nested object. One with a default (tta, options) starts folded, filled with that
 * default, and unfolds when the server refuses something inside; one that may be null
 * starts unset with a "Set" button; a required one is always there.
 */
export function NestedObject(props: FieldProps) {
  const { defs, errors } = useForm();
  const key = pathKey(props.path);
  const value = asObject(props.value);
  const { spec } = props;
  const title = fieldTitle(props);
  const fields = value && <ObjectFields schema={spec.schema} path={props.path} value={value} onChange={props.onChange} />;
  const help = spec.description && <div class="help">{plain(spec.description)}</div>;
  if (spec.default != null) {
    return (
      <details class="form-group wide" data-field={key} open={errorsFor(errors, key, true).length > 0}>
        <summary title={props.name}>{title}</summary>
        {help}
        <GroupErrors path={key} />
        {fields}
      </details>
    );
  }
  const optional = spec.nullable || !props.required;
  return (
    <fieldset class="form-group wide" data-field={key}>
      <legend title={props.name}>
        {title}
        {optional && (
          <button
            type="button"
            class="btn small link"
            onClick={() => props.onChange(value ? undefined : initialObject(spec.schema, defs))}
          >
            {value ? "Unset" : "Set"}
          </button>
        )}
      </legend>
      {help}
      <GroupErrors path={key} />
      {fields ?? <div class="muted small">unset</div>}
    </fieldset>
  );
}
