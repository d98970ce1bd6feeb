import type { FieldErrors } from "../../lib/fieldErrors";
import type { JsonObject, Path, SchemaSet } from "../../lib/jsonSchema";
import { type Choice, Form } from "./context";
import { ObjectFields } from "./ObjectFields";

/**
 * A form for a JSON schema (a job kind's params, from the generated OpenAPI document) whose
 * value is the JSON the API takes. Fields left unset are left out, so the server's defaults
 * apply; `errors` (a 422's fields, by form path) are shown at the fields they name.
 */
export function SchemaForm(props: {
  schemas: SchemaSet;
  value: JsonObject;
  onChange: (value: JsonObject) => void;
  errors?: FieldErrors;
  choicesFor?: (path: Path) => Choice[] | undefined;
}) {
  const context = {
    defs: props.schemas.schemas,
    errors: props.errors ?? new Map(),
    choicesFor: props.choicesFor ?? (() => undefined),
  };
  return (
    <Form.Provider value={context}>
      <div class="schema-form" data-testid="schema-form">
        <ObjectFields schema={props.schemas.schemas[props.schemas.root]} path={[]} value={props.value} onChange={props.onChange} />
      </div>
    </Form.Provider>
  );
}
