import { Chip } from "../../components/Chip";
import { type RowChange, changeCount } from "./rows";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One line over a diff: how many labels came and went, in how many rows. */
export function DiffSummary(props: { changes: RowChange[] }) {
  const added = props.changes.reduce((n, c) => n + c.added.length, 0);
  const removed = changeCount(props.changes) - added;
  if (props.changes.length === 0) return null;
  return (
    <div class="muted small diff-summary" data-testid="diff-summary">
      {plural(added, "label")} added, {removed} removed in {plural(props.changes.length, "row")}
    </div>
  );
}

/** Per-row label changes as green (added) and struck-through red (removed) chips. */
export function DiffView(props: { changes: RowChange[]; empty?: string }) {
  if (props.changes.length === 0) return <div class="muted small">{props.empty ?? "No label changes."}</div>;
  return (
    <table class="table diff" data-testid="diff">
      <tbody>
        {props.changes.map((c) => (
          <tr key={c.source_id}>
            <td style={{ width: "180px" }}>
              <strong>{c.source_name}</strong>
            </td>
            <td>
              {c.added.map((l) => (
                <Chip key={`+${l}`} tone="added">
                  + {l}
                </Chip>
              ))}
              {c.removed.map((l) => (
                <Chip key={`-${l}`} tone="removed">
                  {l}
                </Chip>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
