import { initialObject, itemSchema, pathKey } from "../../lib/jsonSchema";
import { useForm } from "./context";
import { type FieldProps, fieldTitle } from "./Field";
import { helpText } from "./help";
import { asObject, GroupErrors } from "./NestedObject";
import { ObjectFields } from "./ObjectFields";

/** An array of objects: one group per item, with add and remove. */
export function ObjectList(props: FieldProps) {
  const { defs } = useForm();
  const key = pathKey(props.path);
  const items = Array.isArray(props.value) ? props.value : [];
  const item = itemSchema(props.spec.schema, defs);
  const max = props.spec.schema.maxItems ?? Infinity;
  const help = helpText(props.spec, item.description);
  return (
    <fieldset class="form-group wide" data-field={key}>
      <legend title={props.name}>
        {fieldTitle(props)}
        <button
          type="button"
          class="btn small link"
          disabled={items.length >= max}
          onClick={() => props.onChange([...items, initialObject(item, defs)])}
        >
          + Add
        </button>
      </legend>
      {help && <div class="help">{help}</div>}
      <GroupErrors path={key} />
      {items.length === 0 && <div class="muted small">none</div>}
      {items.map((v, i) => (
        <fieldset key={i} class="form-item" data-field={`${key}.${i}`}>
          <legend>
            #{i + 1}
            <button
              type="button"
              class="btn small link"
              aria-label={`remove ${props.name} ${i + 1}`}
              onClick={() => props.onChange(items.filter((_, j) => j !== i))}
            >
              Remove
            </button>
          </legend>
          <GroupErrors path={`${key}.${i}`} />
          <ObjectFields
            schema={item}
            path={[...props.path, i]}
            value={asObject(v) ?? {}}
            onChange={(next) => props.onChange(items.map((old, j) => (j === i ? next : old)))}
          />
        </fieldset>
      ))}
    </fieldset>
  );
}
