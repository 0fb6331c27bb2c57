export const principalTypes = ["human", "ai_agent", "service"] as const;
export type PrincipalType = (typeof principalTypes)[number];

/** Who is calling: taken from a verified token, never from a payload field. */
export interface Principal {
  id: string;
  type: PrincipalType;
  roles: string[];
  name?: string;
}

/** The JWT claims Warden reads, besides the registered ones (`sub`, `iss`, `aud`, `exp`). */
export const claimNames = {
  /** `human` | `ai_agent` | `service`; absent means `human`. */
  type: "warden_type",
  /** An array of role names; absent means no roles. */
  roles: "roles",
  /** A display name, optional. */
  name: "name",
} as const;
