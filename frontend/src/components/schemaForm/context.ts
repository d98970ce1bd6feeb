import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { FieldErrors } from "../../lib/fieldErrors";
import type { JsonSchema, Path } from "../../lib/jsonSchema";

/** A value an id field may take, as the user knows it (`3` shown as "teacher-v2"). */
export interface Choice {
  value: number | string;
  label: string;
}

/** What every field of one form shares: the components its `$ref`s name, the server's
 * refusals, and the pickers the screen offers for id fields. */
export interface FormContext {
  defs: Record<string, JsonSchema>;
  errors: FieldErrors;
  choicesFor: (path: Path) => Choice[] | undefined;
}

export const Form = createContext<FormContext>({ defs: {}, errors: new Map(), choicesFor: () => undefined });

export const useForm = () => useContext(Form);
