import { api, unwrap } from "../../api/client";
import { Async } from "../../components/Async";
import { Page } from "../../components/Page";
import { href, navigate } from "../../lib/router";
import { useQuery } from "../../lib/useQuery";
import { ComposePanel } from "./ComposePanel";
import { History } from "./History";
import { InverseView } from "./InverseView";
import { MappingEditor } from "./MappingEditor";

const TABS = [
  ["edit", "Edit"],
  ["inverse", "Inverse"],
  ["compose", "Compose"],
  ["history", "History"],
] as const;

const taxonomy = (id: number) => unwrap(api.GET("/api/taxonomies/{taxonomy_id}", { params: { path: { taxonomy_id: id } } }));

/** One mapping: the editor (rows, lint, save) and its revision history. */
export function MappingView(props: { id: number; tab: string }) {
  const q = useQuery(async () => {
    const mapping = await unwrap(api.GET("/api/mappings/{mapping_id}", { params: { path: { mapping_id: props.id } } }));
    const [extra, source] = await Promise.all([taxonomy(mapping.extra_taxonomy_id), taxonomy(mapping.source_taxonomy_id)]);
    // Verification is optional: a failure here must not hide the editor.
    const verification = await unwrap(
      api.GET("/api/verifications/state", { params: { query: { mapping_id: mapping.id, revision: mapping.head_revision } } }),
    ).then(
      (v) => new Map(v.items.map((r) => [r.source_id, r.state as string])),
      () => undefined,
    );
    return { mapping, extra, source, verification };
  }, [props.id]);
  const tab = TABS.some(([t]) => t === props.tab) ? props.tab : "edit";
  const exportUrl = (format: string) => `/api/mappings/${props.id}/export?format=${format}`;
  return (
    <Async q={q}>
      {({ mapping: m, extra, source, verification }) => (
        <Page
          title={
            <>
              <a href={href("mappings")}>Mappings</a> / {m.name}
            </>
          }
          subtitle={
            <>
              <a href={href(`taxonomies/${m.extra_taxonomy_id}`)}>{m.extra_taxonomy}</a> →{" "}
              <a href={href(`taxonomies/${m.source_taxonomy_id}`)}>{m.source_taxonomy}</a> · head revision{" "}
              <strong data-testid="head-revision">{m.head_revision}</strong>
            </>
          }
          actions={
            <>
              <a class="btn" href={exportUrl("csv")} download>
                Export CSV
              </a>
              <a class="btn" href={exportUrl("yaml")} download>
                Export YAML
              </a>
            </>
          }
        >
          <div class="tabs">
            {TABS.map(([t, name]) => (
              <button
                key={t}
                class={`tab${tab === t ? " active" : ""}`}
                data-testid={`tab-${t}`}
                onClick={() => navigate(`mappings/${m.id}`, t === "edit" ? undefined : { tab: t })}
              >
                {name}
              </button>
            ))}
          </div>
          {/* The editor stays mounted across tabs so an unsaved draft survives a look at history. */}
          <div style={{ display: tab === "edit" ? "block" : "none" }}>
            <MappingEditor
              mapping={m}
              extraNames={extra.classes.map((c) => c.name)}
              colors={new Map(source.classes.map((c) => [c.id, c.color]))}
              verification={verification}
              onSaved={q.reload}
            />
          </div>
          {tab === "inverse" && <InverseView mappingId={m.id} head={m.head_revision} />}
          {tab === "compose" && <ComposePanel mapping={m} />}
          {tab === "history" && (
            <History
              mappingId={m.id}
              head={m.head_revision}
              onReverted={() => {
                q.reload();
                navigate(`mappings/${m.id}`);
              }}
            />
          )}
        </Page>
      )}
    </Async>
  );
}
