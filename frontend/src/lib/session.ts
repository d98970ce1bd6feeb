// Who the browser acts as: GET /api/auth/me once, again after signing in or out.
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, ApiError, SIGNED_OUT_EVENT, unwrap, type Schemas } from "../api/client";

export type Identity = Schemas["IdentityRead"];

/** `identity` undefined while asking; null when sign-in is needed (401). */
export type Session = {
  identity: Identity | null | undefined;
  error: string | null;
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
};

export function useSession(): Session {
  const [identity, setIdentity] = useState<Identity | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    try {
      setIdentity(await unwrap(api.GET("/api/auth/me")));
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setIdentity(null);
      else setError(e instanceof Error ? e.message : String(e));
    }
  }, []);
  const signOut = useCallback(async () => {
    await unwrap(api.POST("/api/auth/logout"));
    setIdentity(null);
  }, []);
  useEffect(() => {
    void refresh();
    const onSignedOut = () => setIdentity(null);
    window.addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
  }, [refresh]);
  return { identity, error, refresh, signOut };
}
