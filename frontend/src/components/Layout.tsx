import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { USER_KEY } from "../api/client";
import { CommitInput } from "./CommitInput";

const NAV = [
  ["taxonomies", "Taxonomies"],
  ["mappings", "Mappings"],
  ["datasets", "Datasets"],
  ["jobs", "Jobs"],
  ["models", "Models"],
  ["evaluations", "Evaluations"],
  ["training", "Training"],
] as const;

/** Sidebar navigation and the signed-in user name sent as `X-Ontolabel-User`. */
export function Layout(props: { section: string; children: ComponentChildren }) {
  const [user, setUser] = useState(localStorage.getItem(USER_KEY) ?? "local");
  return (
    <div class="shell">
      <nav class="sidebar">
        <a class="brand" href="#/">
          <span class="logo">◧</span> ontolabel
        </a>
        {NAV.map(([key, label]) => (
          <a key={key} href={`#/${key}`} class={`nav-item${props.section === key ? " active" : ""}`}>
            {label}
          </a>
        ))}
        <div class="sidebar-foot">
          <label class="muted small">
            User
            <CommitInput
              class="input small"
              value={user}
              onCommit={(text) => {
                const v = text.trim() || "local";
                localStorage.setItem(USER_KEY, v);
                setUser(v);
              }}
            />
          </label>
          <a class="muted small" href="/docs" target="_blank" rel="noreferrer">
            API docs
          </a>
        </div>
      </nav>
      <main class="content">{props.children}</main>
    </div>
  );
}
