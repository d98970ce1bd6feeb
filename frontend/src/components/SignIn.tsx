import { useState } from "preact/hooks";
import { api, errorText, unwrap } from "../api/client";
import { ErrorBox } from "./Async";

/** The sign-in form shown in accounts mode until GET /api/auth/me answers. */
export function SignIn(props: { onSignedIn: () => void }) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await unwrap(api.POST("/api/auth/login", { body: { name, password } }));
      setError(null);
      props.onSignedIn();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="sign-in">
      <form class="card" onSubmit={submit} aria-label="Sign in">
        <h1>
          <span class="logo">◧</span> ontolabel
        </h1>
        {error && <ErrorBox message={error} />}
        <label>
          User name
          <input
            class="input"
            name="name"
            autocomplete="username"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            class="input"
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <button class="btn primary" type="submit" disabled={busy || !name || !password}>
          Sign in
        </button>
        <p class="muted small">
          No account? An admin creates one (<code>ontolabel users add NAME --role editor --password-stdin</code>).
        </p>
      </form>
    </div>
  );
}
