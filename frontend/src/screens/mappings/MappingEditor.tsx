import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, api, errorText, unwrap, type Schemas } from "../../api/client";
import { ErrorBox } from "../../components/Async";
import { ConflictPanel } from "./ConflictPanel";
import { DraftPreview } from "./DraftPreview";
import { findingLabelIndex, findingSourceId } from "./lint";
import { LintPanel } from "./LintPanel";
import { hintsByRow } from "./matrix";
import { MatrixView } from "./MatrixView";
import { type Row, type RowChange, changeCount, diffRows, reapply, setLabels } from "./rows";
import { type RowMarks, RowTable } from "./RowTable";
import { SuggestionPanel } from "./SuggestionPanel";
import { useLint } from "./useLint";
import { useSuggestions } from "./useSuggestions";

type Revision = Schemas["MappingRevisionRead"];
type Conflict = { detail: string; current: Revision };
type View = "rows" | "matrix";
const VIEW_KEY = "ontolabel.mappingView";

/** The draft of a mapping: edit rows, see lint live, save as a new revision (409-safe). */
export function MappingEditor(props: {
  mapping: Schemas["MappingDetailRead"];
  extraNames: string[];
  colors: Map<number, string | null | undefined>;
  verification?: Map<number, string>;
  onSaved: () => void;
  onDraft?: (rows: Row[]) => void;
}) {
  const m = props.mapping;
  const [base, setBase] = useState<Revision>(m.head);
  const [draft, setDraftState] = useState<Row[]>(m.head.rows);
  const [message, setMessage] = useState("");
  const [conflict, setConflict] = useState<Conflict>();
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();
  const [saving, setSaving] = useState(false);
  const [focus, setFocus] = useState<number>();
  const lint = useLint(m.extra_taxonomy, m.source_taxonomy, draft);
  const [view, setViewState] = useState<View>(() => (localStorage.getItem(VIEW_KEY) === "matrix" ? "matrix" : "rows"));
  const setView = (v: View) => {
    localStorage.setItem(VIEW_KEY, v);
    setViewState(v);
  };
  const suggestions = useSuggestions(m.id);
  // Rows are matched by name; names do not change in the editor, so the base's rows suffice
  // and the hints stay the same objects across edits (the matrix rows' memo holds).
  const hints = useMemo(() => hintsByRow(suggestions.data ?? undefined, base.rows), [suggestions.data, base]);

  const setDraft = (rows: Row[]) => {
    setDraftState(rows);
    setNote(undefined);
    props.onDraft?.(rows);
  };
  const onChange = (sid: number, labels: string[]) => setDraft(setLabels(draft, sid, labels));
  const mine: RowChange[] = useMemo(() => diffRows(base.rows, draft), [base, draft]);
  const marks: RowMarks = useMemo(() => {
    const lintSev = new Map<number, string>();
    const lintCells = new Set<string>();
    for (const f of lint.findings ?? []) {
      const sid = findingSourceId(f, draft);
      if (sid !== undefined && f.severity !== "info" && lintSev.get(sid) !== "error") lintSev.set(sid, f.severity);
      const k = findingLabelIndex(f);
      // Info findings (stray spaces, ...) would mark half a reference CSV; the panel lists them.
      if (sid !== undefined && k !== undefined && f.severity !== "info") lintCells.add(`${sid}:${k}`);
    }
    return {
      added: new Map(mine.map((c) => [c.source_id, new Set(c.added)])),
      removed: new Map(mine.map((c) => [c.source_id, c.removed])),
      lint: lintSev,
      lintCells,
      focus,
    };
  }, [mine, lint.findings, draft, focus]);

  async function save() {
    setSaving(true);
    setError(undefined);
    try {
      const saved = await unwrap(
        api.PUT("/api/mappings/{mapping_id}", {
          params: { path: { mapping_id: m.id } },
          body: { base_revision: base.number, message, rows: draft },
        }),
      );
      setBase(saved.head);
      setDraft(saved.head.rows);
      setMessage("");
      setNote(`Saved revision ${saved.head.number}.`);
      props.onSaved();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.body.current) {
        setConflict({ detail: e.message, current: e.body.current as Revision });
        props.onSaved(); // refresh the header's head revision; the draft stays as it is
      } else setError(errorText(e));
    } finally {
      setSaving(false);
    }
  }

  function reapplyMine() {
    if (!conflict) return;
    setBase(conflict.current);
    setDraft(reapply(conflict.current.rows, mine));
    setConflict(undefined);
  }

  const pending = changeCount(mine);
  // Closing the tab with unsaved edits asks first.
  useEffect(() => {
    if (!pending) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    addEventListener("beforeunload", warn);
    return () => removeEventListener("beforeunload", warn);
  }, [pending > 0]);
  // Ctrl/Cmd+S saves, as in an editor.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "s") {
        e.preventDefault();
        if (pending && !saving && !conflict) void save();
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  });
  // A newer head arriving from outside (a revert, a reload) replaces a draft without edits.
  useEffect(() => {
    if (m.head.number > base.number && pending === 0) {
      setBase(m.head);
      setDraft(m.head.rows);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [m.head.number]);
  return (
    <>
      {conflict && (
        <ConflictPanel
          detail={conflict.detail}
          current={conflict.current}
          theirs={diffRows(base.rows, conflict.current.rows)}
          mine={mine}
          onReapply={reapplyMine}
          onDismiss={() => setConflict(undefined)}
        />
      )}
      {error && <ErrorBox message={error} />}
      {note && <div class="ok-box">{note}</div>}
      <div class="card savebar">
        <div class="row">
          <span class="muted">
            Editing on top of revision <strong>{base.number}</strong> ·{" "}
            {pending ? <strong>{pending} unsaved change{pending > 1 ? "s" : ""}</strong> : "no unsaved changes"}
          </span>
          <span class="spacer" />
          <input
            class="input"
            style={{ width: "320px" }}
            placeholder="Why this change? (revision message)"
            aria-label="revision message"
            value={message}
            onInput={(e) => setMessage((e.target as HTMLInputElement).value)}
          />
          <button class="btn" disabled={!pending} onClick={() => setDraft(base.rows)}>
            Discard
          </button>
          <button class="btn primary" title="Ctrl+S" disabled={!pending || saving || !!conflict} onClick={save}>
            {saving ? "Saving…" : "Save revision"}
          </button>
        </div>
      </div>
      <div class="grid-2">
        <div>
          <div class="tabs" role="tablist" aria-label="editor view">
            {(["rows", "matrix"] as const).map((v) => (
              <button
                key={v}
                role="tab"
                aria-selected={view === v ? "true" : "false"}
                class={`tab${view === v ? " active" : ""}`}
                data-testid={`view-${v}`}
                onClick={() => setView(v)}
              >
                {v === "rows" ? "Rows" : "Matrix"}
              </button>
            ))}
          </div>
          {view === "rows" ? (
            <RowTable
              rows={draft}
              colors={props.colors}
              options={props.extraNames}
              marks={marks}
              verification={props.verification}
              onChange={onChange}
            />
          ) : (
            <MatrixView
              rows={draft}
              extraNames={props.extraNames}
              colors={props.colors}
              marks={marks}
              verification={props.verification}
              hints={hints}
              onChange={onChange}
            />
          )}
        </div>
        <div class="side">
          <SuggestionPanel mappingId={m.id} q={suggestions} rows={draft} onApply={onChange} />
          <LintPanel
            findings={lint.findings}
            error={lint.error}
            rows={draft}
            onApply={setDraft}
            onFocus={(sid) => {
              setFocus(sid);
              document.getElementById(`row-${sid}`)?.scrollIntoView({ block: "center", behavior: "smooth" });
            }}
          />
          <DraftPreview mapping={m} rows={draft} baseRevision={base.number} baseRows={base.rows} />
        </div>
      </div>
    </>
  );
}
