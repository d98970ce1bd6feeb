import { useState } from "preact/hooks";
import { api, errorText, unwrap } from "../../api/client";
import { Async, ErrorBox } from "../../components/Async";
import { when } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { DiffView } from "./DiffView";
import { diffRows } from "./rows";

const revisionOf = (mappingId: number, number: number) =>
  unwrap(api.GET("/api/mappings/{mapping_id}/revisions/{number}", { params: { path: { mapping_id: mappingId, number } } }));

/** Every revision, newest first; select one to see what it changed, or revert to it. */
export function History(props: { mappingId: number; head: number; onReverted: () => void }) {
  const q = useQuery(
    () => unwrap(api.GET("/api/mappings/{mapping_id}/revisions", { params: { path: { mapping_id: props.mappingId } } })),
    [props.mappingId, props.head],
  );
  const [selected, setSelected] = useState<number>(props.head);
  const [error, setError] = useState<string>();
  async function revert(number: number) {
    setError(undefined);
    try {
      await unwrap(
        api.POST("/api/mappings/{mapping_id}/revisions/{number}/revert", {
          params: { path: { mapping_id: props.mappingId, number } },
          body: { base_revision: props.head },
        }),
      );
      props.onReverted();
    } catch (e) {
      setError(errorText(e));
    }
  }
  return (
    <div class="grid-2" style={{ gridTemplateColumns: "minmax(0, 1fr) minmax(0, 1fr)" }}>
      <div>
        {error && <ErrorBox message={error} />}
        <Async q={q}>
          {(d) => (
            <div class="table-wrap">
              <table class="table" data-testid="history">
                <thead>
                  <tr>
                    <th class="num">Rev</th>
                    <th>Message</th>
                    <th>Author</th>
                    <th>When</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((r) => (
                    <tr key={r.number} class={r.number === selected ? "hl" : ""} onClick={() => setSelected(r.number)} style={{ cursor: "pointer" }}>
                      <td class="num mono">{r.number}</td>
                      <td>{r.message || <span class="muted">—</span>}</td>
                      <td>{r.author}</td>
                      <td class="muted" style={{ whiteSpace: "nowrap" }}>{when(r.created_at)}</td>
                      <td>
                        {r.number !== props.head && (
                          <button
                            class="btn small"
                            onClick={(e) => {
                              e.stopPropagation();
                              void revert(r.number);
                            }}
                          >
                            Revert to this
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
      </div>
      <RevisionDiff mappingId={props.mappingId} number={selected} />
    </div>
  );
}

function RevisionDiff(props: { mappingId: number; number: number }) {
  const q = useQuery(async () => {
    const rev = await revisionOf(props.mappingId, props.number);
    const prev = props.number > 1 ? await revisionOf(props.mappingId, props.number - 1) : undefined;
    return { rev, changes: diffRows(prev?.rows ?? [], rev.rows) };
  }, [props.mappingId, props.number]);
  return (
    <div class="card">
      <div class="card-head">
        <h2>Revision {props.number}</h2>
        <span class="muted small">{props.number > 1 ? `changes since revision ${props.number - 1}` : "initial content"}</span>
      </div>
      <Async q={q}>{(d) => <DiffView changes={d.changes} />}</Async>
    </div>
  );
}
