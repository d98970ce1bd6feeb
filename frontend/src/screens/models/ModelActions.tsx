import { href } from "../../lib/router";

/** What to do next with a model: score it, or let it teach the next round's students. */
export function ModelActions(props: { modelId: number }) {
  return (
    <span class="row" style={{ flexWrap: "nowrap" }}>
      <a class="btn small" href={href("jobs/new", { kind: "evaluate", model_id: props.modelId })}>
        Evaluate
      </a>
      <a class="btn small" href={href("jobs/new", { kind: "pseudo_label", model_id: props.modelId })}>
        Use as teacher
      </a>
    </span>
  );
}
