import type { FieldSpec, Json, Path } from "../../lib/jsonSchema";
import { LeafField } from "./LeafField";
import { NestedObject } from "./NestedObject";
import { ObjectList } from "./ObjectList";

export interface FieldProps {
  name: string;
  spec: FieldSpec;
  required: boolean;
  path: Path;
  value: Json | undefined;
  /** `undefined` leaves the field out of the JSON (unset: the server's default applies). */
  onChange: (value: Json | undefined) => void;
}

/** One property: a nested group, a list of groups, or a single input. */
export function Field(props: FieldProps) {
  if (props.spec.widget === "object") return <NestedObject {...props} />;
  if (props.spec.widget === "objects") return <ObjectList {...props} />;
  return <LeafField {...props} />;
}

/** The label of a field: its schema title, else its name in words. */
export function fieldTitle(props: Pick<FieldProps, "name" | "spec">): string {
  return props.spec.title ?? props.name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}
