import { href } from "../../lib/router";

/** Buttons opening the job forms prefilled for a dataset or a model (the form fills in
 * the rest: the dataset's mapping, a teacher for it). */
export function JobLinks(props: { dataset_id?: number; model_id?: number }) {
  const link = (kind: string, label: string) => (
    <a class="btn small" href={href("jobs/new", { kind, ...props })} data-testid={`new-${kind}`}>
      {label}
    </a>
  );
  return (
    <span class="row" style={{ flexWrap: "nowrap" }}>
      {link("pseudo_label", "Pseudo-label…")}
      {link("evaluate", "Evaluate…")}
      {link("preview", "Preview…")}
    </span>
  );
}
