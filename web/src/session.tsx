/** Who is signed in: whether the server needs a token, and what the token may do. */
import { createContext, useContext } from "react";
import type { Schemas } from "./api";

export type Session = Schemas["Session"];

export interface SessionView {
  readonly session: Session;
  readonly workspace: string;
  /** May register, build, label, archive. */
  readonly canWrite: boolean;
  /** May see and manage tokens. */
  readonly canAdmin: boolean;
  signOut(): void;
}

export const SessionContext = createContext<SessionView | undefined>(undefined);

export function useSession(): SessionView {
  const view = useContext(SessionContext);
  if (view === undefined) throw new Error("useSession outside the signed-in app");
  return view;
}

export function viewOf(session: Session, workspace: string, signOut: () => void): SessionView {
  const scopes = session.token?.scopes ?? [];
  const own = session.token?.workspace === workspace;
  // The admin of `default` is the server's admin: it may manage any workspace's tokens.
  const serverAdmin = session.token?.workspace === "default" && scopes.includes("admin");
  return {
    session,
    workspace,
    canWrite: !session.auth || (own && (scopes.includes("write") || scopes.includes("admin"))),
    canAdmin: !session.auth || (own && scopes.includes("admin")) || serverAdmin,
    signOut,
  };
}
