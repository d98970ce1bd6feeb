import { href } from "../../lib/router";

/** The train job a model came from (`details.trained_by_job`), else who registered it. */
export function TrainedBy(props: { details: Record<string, unknown> }) {
  const job = props.details.trained_by_job;
  if (typeof job !== "number") return <span class="muted">registered</span>;
  return <a href={href(`jobs/${job}`)}>train #{job}</a>;
}
