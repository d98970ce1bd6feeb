import { errorsFor } from "../../lib/fieldErrors";
import { itemSchema, pathKey } from "../../lib/jsonSchema";
import { useForm } from "./context";
import { type FieldProps, fieldTitle } from "./Field";
import { helpText } from "./help";
import { Checkbox, ChoiceSelect, EnumSelect, TextInput, textFormats } from "./inputs";

/** A label, one input, its help line and the server's messages for it (and anything under it). */
export function LeafField(props: FieldProps) {
  const { defs, errors, choicesFor } = useForm();
  const key = pathKey(props.path);
  const messages = errorsFor(errors, key, true);
  const id = `field-${key}`;
  const { spec } = props;
  const optional = spec.nullable || !props.required;
  const choices = choicesFor(props.path);
  const common = { id, path: key, invalid: messages.length > 0, value: props.value, onChange: props.onChange };
  let input;
  let takes: string | undefined;
  if (spec.widget === "const") input = <span class="mono">{JSON.stringify(spec.schema.const)}</span>;
  else if (spec.widget === "boolean") input = <Checkbox {...common} />;
  else if (spec.widget === "enum") input = <EnumSelect {...common} options={spec.schema.enum ?? []} optional={optional} />;
  else if (choices) input = <ChoiceSelect {...common} choices={choices} optional={optional} />;
  else {
    const item = spec.widget === "list" ? itemSchema(spec.schema, defs) : undefined;
    const format = textFormats(spec.widget, item?.type);
    takes = format.takes(spec);
    const inputMode = spec.widget === "integer" ? "numeric" : spec.widget === "number" ? "decimal" : undefined;
    const placeholder = spec.default != null ? "default" : optional ? "unset" : "required";
    input = <TextInput {...common} format={format} multiline={spec.widget === "json"} placeholder={placeholder} inputMode={inputMode} />;
  }
  const help = helpText(spec, takes);
  return (
    <div class={`form-field${spec.widget === "json" ? " wide" : ""}`} data-field={key}>
      <label for={id} title={props.name}>
        {fieldTitle(props)}
        {!optional && <span class="req"> *</span>}
      </label>
      {input}
      {help && <div class="help">{help}</div>}
      {messages.map((m) => (
        <div key={m} class="field-error" role="alert">
          {m}
        </div>
      ))}
    </div>
  );
}
