import type { Route } from "../lib/router";
import { DatasetList } from "./datasets/DatasetList";
import { DatasetView } from "./datasets/DatasetView";
import { FrameView } from "./frames/FrameView";
import { EvaluationCompare } from "./evaluations/EvaluationCompare";
import { EvaluationList } from "./evaluations/EvaluationList";
import { EvaluationView } from "./evaluations/EvaluationView";
import { JobDetail } from "./jobs/JobDetail";
import { JobList } from "./jobs/JobList";
import { JobOutputs } from "./jobs/JobOutputs";
import { NewJob } from "./jobs/NewJob";
import { MappingList } from "./mappings/MappingList";
import { MappingView } from "./mappings/MappingView";
import { ModelList } from "./models/ModelList";
import { ModelView } from "./models/ModelView";
import { TaxonomyDetail } from "./taxonomies/TaxonomyDetail";
import { TaxonomyList } from "./taxonomies/TaxonomyList";
import { CompareRuns } from "./training/CompareRuns";
import { Rounds } from "./training/Rounds";

/** The screen for a hash route; unknown routes say so instead of showing a blank page. */
export function screenFor(section: string, route: Route) {
  const id = route.parts[1] ? Number(route.parts[1]) : undefined;
  switch (section) {
    case "taxonomies":
      return id ? <TaxonomyDetail id={id} /> : <TaxonomyList />;
    case "mappings":
      return id ? <MappingView id={id} tab={route.query.get("tab") ?? ""} /> : <MappingList />;
    case "datasets":
      return id ? <DatasetView id={id} query={route.query} /> : <DatasetList />;
    case "frames":
      return id ? <FrameView id={id} query={route.query} /> : <DatasetList />;
    case "jobs":
      if (route.parts[1] === "new") return <NewJob query={route.query} />;
      if (id && route.parts[2] === "frames") return <JobOutputs id={id} query={route.query} />;
      return id ? <JobDetail id={id} /> : <JobList query={route.query} />;
    case "models":
      return id ? <ModelView id={id} /> : <ModelList />;
    case "evaluations":
      if (route.parts[1] === "compare") return <EvaluationCompare query={route.query} />;
      return id ? <EvaluationView id={id} /> : <EvaluationList query={route.query} />;
    case "training":
      return route.parts[1] === "compare" ? <CompareRuns query={route.query} /> : <Rounds />;
  }
  return <div class="empty">No screen for “{section}”.</div>;
}
