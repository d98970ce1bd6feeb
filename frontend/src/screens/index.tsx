import type { Route } from "../lib/router";
import { DatasetList } from "./datasets/DatasetList";
import { DatasetView } from "./datasets/DatasetView";
import { FrameView } from "./frames/FrameView";
import { JobDetail } from "./jobs/JobDetail";
import { JobList } from "./jobs/JobList";
import { MappingList } from "./mappings/MappingList";
import { MappingView } from "./mappings/MappingView";
import { TaxonomyDetail } from "./taxonomies/TaxonomyDetail";
import { TaxonomyList } from "./taxonomies/TaxonomyList";

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
      return id ? <FrameView id={id} /> : <DatasetList />;
    case "jobs":
      return id ? <JobDetail id={id} /> : <JobList query={route.query} />;
  }
  return <div class="empty">No screen for “{section}”.</div>;
}
