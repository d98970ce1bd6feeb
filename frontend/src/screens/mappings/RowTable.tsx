import { Chip } from "../../components/Chip";
import { Swatch } from "../../components/Swatch";
import { LabelInput } from "./LabelInput";
import type { Row } from "./rows";

export interface RowMarks {
  /** Labels added/removed against the base revision, per source id. */
  added: Map<number, Set<string>>;
  removed: Map<number, string[]>;
  /** Severity of the worst lint finding per source id, and labels named by findings. */
  lint: Map<number, string>;
  /** `${source_id}:${label index}` of chips a finding points at. */
  lintCells: Set<string>;
  focus?: number;
}

/** One row per source class with its extra labels as removable chips and an add box. */
export function RowTable(props: {
  rows: Row[];
  colors: Map<number, string | null | undefined>;
  options: string[];
  marks: RowMarks;
  verification?: Map<number, string>;
  onChange: (sourceId: number, labels: string[]) => void;
}) {
  const { marks } = props;
  return (
    <div class="table-wrap open">
      <table class="table" data-testid="mapping-rows">
        <thead>
          <tr>
            <th style={{ width: "210px" }}>Source class</th>
            <th>Extra labels</th>
            {props.verification && <th style={{ width: "110px" }}>Verified</th>}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => {
            const sev = marks.lint.get(r.source_id);
            const labels = r.extra_labels ?? [];
            return (
              <tr
                key={r.source_id}
                id={`row-${r.source_id}`}
                data-source={r.source_name}
                class={sev === "error" ? "hl-error" : sev ? "hl" : marks.focus === r.source_id ? "hl" : ""}
              >
                <td>
                  <span class="row">
                    <Swatch color={props.colors.get(r.source_id)} />
                    <strong>{r.source_name}</strong>
                    <span class="muted mono small">{r.source_id}</span>
                  </span>
                </td>
                <td>
                  {labels.map((l, k) => (
                    <Chip
                      key={l}
                      tone={marks.lintCells.has(`${r.source_id}:${k}`) ? "warn" : marks.added.get(r.source_id)?.has(l) ? "added" : "default"}
                      onRemove={() => props.onChange(r.source_id, labels.filter((x) => x !== l))}
                    >
                      {l}
                    </Chip>
                  ))}
                  {(marks.removed.get(r.source_id) ?? []).map((l) => (
                    <Chip key={`-${l}`} tone="removed" title="removed in this draft">
                      {l}
                    </Chip>
                  ))}
                  <LabelInput
                    rowName={r.source_name}
                    options={props.options}
                    exclude={labels}
                    onAdd={(l) => props.onChange(r.source_id, [...labels, l])}
                  />
                </td>
                {props.verification && (
                  <td>
                    {props.verification.get(r.source_id) ? (
                      <span class={`badge ${props.verification.get(r.source_id)}`}>{props.verification.get(r.source_id)}</span>
                    ) : (
                      <span class="muted small">—</span>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
