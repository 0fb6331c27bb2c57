export * from "./identity.ts";
export * from "./permissions.ts";
export * from "./authority.ts";
