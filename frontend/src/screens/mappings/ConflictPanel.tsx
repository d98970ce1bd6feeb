import type { Schemas } from "../../api/client";
import { when } from "../../lib/format";
import { DiffView } from "./DiffView";
import type { RowChange } from "./rows";

/** Shown on 409: what the other save changed, my pending edits, and the way forward. */
export function ConflictPanel(props: {
  detail: string;
  current: Schemas["MappingRevisionRead"];
  theirs: RowChange[];
  mine: RowChange[];
  onReapply: () => void;
  onDismiss: () => void;
}) {
  const c = props.current;
  return (
    <div class="notice" data-testid="conflict">
      <div class="row">
        <strong>
          Someone saved revision {c.number} meanwhile
        </strong>
        <span class="muted">
          ({c.author}, {when(c.created_at)}{c.message ? `: “${c.message}”` : ""})
        </span>
        <span class="spacer" />
        <button class="btn primary small" onClick={props.onReapply}>
          Reload and re-apply my edits
        </button>
        <button class="btn small" onClick={props.onDismiss}>
          Dismiss
        </button>
      </div>
      <div class="muted small" style={{ margin: "4px 0 8px" }}>
        {props.detail}
      </div>
      <div class="grid-2" style={{ gridTemplateColumns: "1fr 1fr" }}>
        <div>
          <h2 class="small">Their changes (revision {c.number})</h2>
          <DiffView changes={props.theirs} />
        </div>
        <div>
          <h2 class="small">My unsaved edits (kept)</h2>
          <DiffView changes={props.mine} />
        </div>
      </div>
    </div>
  );
}
