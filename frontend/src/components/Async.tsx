import type { ComponentChildren } from "preact";
import type { Query } from "../lib/useQuery";

/** Loading, error (verbatim `detail`) and empty states around a query's data. */
export function Async<T>(props: {
  q: Query<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ComponentChildren;
  children: (data: T) => ComponentChildren;
}) {
  const { q } = props;
  if (q.error) return <ErrorBox message={q.error} onRetry={q.reload} />;
  if (q.data === undefined) return <div class="muted loading">Loading…</div>;
  if (props.isEmpty?.(q.data)) return <div class="empty">{props.empty ?? "Nothing here yet."}</div>;
  return <>{props.children(q.data)}</>;
}

export function ErrorBox(props: { message: string; onRetry?: () => void }) {
  return (
    <div class="error-box" role="alert">
      <span>{props.message}</span>
      {props.onRetry && (
        <button class="btn small" onClick={props.onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
