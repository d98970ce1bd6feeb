import { fieldSpec, type FieldSpec, type Json, type JsonObject, type JsonSchema, type Path } from "../../lib/jsonSchema";
import { useForm } from "./context";
import { Field } from "./Field";

interface Entry {
  name: string;
  spec: FieldSpec;
  required: boolean;
}

const nested = (e: Entry) => e.spec.widget === "object" || e.spec.widget === "objects";
/** Required first, and within each, plain inputs before nested groups (props come sorted by name). */
const rank = (e: Entry) => (e.required ? 0 : 2) + (nested(e) ? 1 : 0);

/** An object's properties, each as the field its schema calls for. */
export function ObjectFields(props: { schema: JsonSchema; path: Path; value: JsonObject; onChange: (value: JsonObject) => void }) {
  const { defs } = useForm();
  const required = new Set(props.schema.required ?? []);
  const entries = Object.entries(props.schema.properties ?? {})
    .map(([name, property]) => ({ name, spec: fieldSpec(property, defs), required: required.has(name) }))
    .sort((a, b) => rank(a) - rank(b));
  const change = (name: string) => (v: Json | undefined) => {
    const next = { ...props.value };
    if (v === undefined) delete next[name];
    else next[name] = v;
    props.onChange(next);
  };
  return (
    <div class="form-grid">
      {entries.map((e) => (
        <Field key={e.name} name={e.name} spec={e.spec} required={e.required} path={[...props.path, e.name]} value={props.value[e.name]} onChange={change(e.name)} />
      ))}
    </div>
  );
}
