/** Roles, from most to least: each may do everything the roles below it may. */
export const ROLES = ['admin', 'finance', 'ops', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, ops: 1, finance: 2, admin: 3 };

export function roleAllows(held: Role, required: Role): boolean {
  return RANK[held] >= RANK[required];
}
