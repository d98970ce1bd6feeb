import { useEffect, useState } from "preact/hooks";
import { api, ApiError, errorText, unwrap } from "../../api/client";
import { JOB_KINDS, type JobKind } from "../../api/jobKinds";
import type { paths } from "../../api/schema";
import { ErrorBox } from "../../components/Async";
import { Card, Page } from "../../components/Page";
import { SchemaForm } from "../../components/schemaForm/SchemaForm";
import { type FieldErrors, fieldErrorsOf } from "../../lib/fieldErrors";
import type { JsonObject } from "../../lib/jsonSchema";
import { href, navigate } from "../../lib/router";
import { JOB_SCHEMAS, prefilled, rootSchema } from "./jobForms";
import { useJobChoices } from "./useJobChoices";
import { useJobDefaults } from "./useJobDefaults";

const isKind = (k: string | null): k is JobKind => JOB_KINDS.some((known) => known === k);

/** `#/jobs/new?kind=…`: a job kind's form, built from its schema; the API validates it. */
export function NewJob(props: { query: URLSearchParams }) {
  const asked = props.query.get("kind");
  const kind: JobKind = isKind(asked) ? asked : "pseudo_label";
  return (
    <Page
      title={
        <>
          <a href={href("jobs")}>Jobs</a> / New job
        </>
      }
      subtitle={rootSchema(JOB_SCHEMAS[kind]).description?.split("\n\n")[0]}
      actions={
        <select class="input" aria-label="job kind" value={kind} onChange={(e) => navigate("jobs/new", { kind: (e.target as HTMLSelectElement).value })}>
          {JOB_KINDS.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
      }
    >
      <JobForm key={`${kind}?${props.query}`} kind={kind} query={props.query} />
    </Page>
  );
}

function JobForm(props: { kind: JobKind; query: URLSearchParams }) {
  const schemas = JOB_SCHEMAS[props.kind];
  const [params, setParams] = useState<JsonObject>(() => prefilled(schemas, props.query));
  const [errors, setErrors] = useState<FieldErrors>(new Map());
  const [message, setMessage] = useState<string>();
  const [busy, setBusy] = useState(false);
  const { choicesFor, known } = useJobChoices();
  useJobDefaults(schemas, params, setParams, known);
  // `?rerun=<job id>`: that job's parameters again, with the query's changes (a newer
  // revision, its own folder: the "Relabel stale frames" button).
  const rerun = Number(props.query.get("rerun")) || undefined;
  useEffect(() => {
    if (!rerun) return;
    unwrap(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: rerun } } })).then(
      (job) => setParams(prefilled(schemas, props.query, job.params as JsonObject)),
      (err) => setMessage(errorText(err)),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rerun]);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setMessage(undefined);
    try {
      // The form's JSON is typed by the schema it was built from, not by TypeScript: the
      // API is its validator, and a refusal comes back below as field messages.
      const body = { kind: props.kind, params } as unknown as JobCreate;
      const job = await unwrap(api.POST("/api/jobs", { body }));
      navigate(`jobs/${job.id}`);
    } catch (err) {
      setMessage(errorText(err));
      setErrors(err instanceof ApiError ? fieldErrorsOf(err.body) : new Map());
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      {message && <ErrorBox message={message} />}
      <Card title={`${props.kind} parameters`}>
        <SchemaForm schemas={schemas} value={params} onChange={setParams} errors={errors} choicesFor={choicesFor} />
      </Card>
      <div class="row">
        <button type="submit" class="btn primary" disabled={busy}>
          {busy ? "Queueing…" : "Queue job"}
        </button>
        <details class="small">
          <summary class="muted">Request body</summary>
          <pre class="mono">{JSON.stringify({ kind: props.kind, params }, null, 2)}</pre>
        </details>
      </div>
    </form>
  );
}

type JobCreate = paths["/api/jobs"]["post"]["requestBody"]["content"]["application/json"];
