import type { Finding } from "./lint";
import { applyAll, applySuggestion, findingLabel, findingSourceId, suggestionText } from "./lint";
import type { Row } from "./rows";

/** Live lint findings of the draft; each points at its row and may offer a one-click fix. */
export function LintPanel(props: {
  findings: Finding[] | undefined;
  error?: string;
  rows: Row[];
  onApply: (rows: Row[]) => void;
  onFocus: (sourceId: number) => void;
}) {
  const { findings } = props;
  const errors = findings?.filter((f) => f.severity === "error").length ?? 0;
  return (
    <div class="card lint" data-testid="lint-panel">
      <div class="card-head">
        <h2>Lint</h2>
        {findings && (
          <span class={`badge ${errors ? "error" : findings.length ? "warning" : "succeeded"}`}>
            {findings.length ? `${findings.length} finding${findings.length > 1 ? "s" : ""}` : "clean"}
          </span>
        )}
      </div>
      {props.error && <div class="error-box">{props.error}</div>}
      <BulkFixes findings={findings ?? []} rows={props.rows} onApply={props.onApply} />
      {!findings && !props.error && <div class="muted">Checking…</div>}
      {findings?.length === 0 && <div class="muted">No findings: every extra label is mapped consistently.</div>}
      {findings?.map((f, i) => {
        const sid = findingSourceId(f, props.rows);
        const row = props.rows.find((r) => r.source_id === sid);
        const label = findingLabel(f, props.rows);
        const fixed = applySuggestion(f, props.rows);
        const hint = suggestionText(f);
        return (
          <div key={i} class={`finding ${f.severity}`} data-testid="finding">
            <div>{f.message}</div>
            <div class="where">
              {f.code && <code>{f.code}</code>}
              {row && (
                <>
                  {" · "}
                  <button class="btn link small" onClick={() => props.onFocus(row.source_id)}>
                    row {row.source_name}
                  </button>
                </>
              )}
              {label && <> · label “{label}”</>}
            </div>
            {hint && <div class="where">Suggestion: {hint}</div>}
            {fixed && (
              <button class="btn small" onClick={() => props.onApply(fixed)}>
                Apply suggestion
              </button>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** One button per finding code with several fixable findings (e.g. stray spaces in a CSV). */
function BulkFixes(props: { findings: Finding[]; rows: Row[]; onApply: (rows: Row[]) => void }) {
  const byCode = new Map<string, Finding[]>();
  for (const f of props.findings)
    if (f.code && applySuggestion(f, props.rows)) byCode.set(f.code, [...(byCode.get(f.code) ?? []), f]);
  const groups = [...byCode].filter(([, fs]) => fs.length > 1);
  if (!groups.length) return null;
  return (
    <div class="row" style={{ marginBottom: "8px" }}>
      {groups.map(([code, fs]) => (
        <button key={code} class="btn small" onClick={() => props.onApply(applyAll(fs, props.rows))}>
          Fix all {code} ({fs.length})
        </button>
      ))}
    </div>
  );
}
