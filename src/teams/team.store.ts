import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { teams, whatsappAccounts } from '../db/schema.js';

export interface TeamRow {
  id: string;
  name: string;
  timezone: string;
  createdAt: Date;
}

export interface AccountRow {
  id: string;
  teamId: string;
  phoneNumber: string;
  displayName: string | null;
  createdAt: Date;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids that are not UUIDs cannot exist; callers treat them as not found instead of sending them to SQL. */
export const isUuid = (id: string): boolean => UUID_RE.test(id);

/** Reads teams and their WhatsApp accounts. Every account read is scoped by team. */
export class TeamStore {
  constructor(private readonly database: Database) {}

  async getTeam(teamId: string): Promise<TeamRow | null> {
    if (!isUuid(teamId)) return null;
    const [row] = await this.database.db.select().from(teams).where(eq(teams.id, teamId));
    return row ?? null;
  }

  async listTeams(teamIds?: string[]): Promise<TeamRow[]> {
    const q = this.database.db.select().from(teams);
    const ids = teamIds?.filter(isUuid);
    if (teamIds) return ids!.length ? q.where(inArray(teams.id, ids!)).orderBy(asc(teams.id)) : [];
    return q.orderBy(asc(teams.id));
  }

  /** All accounts of these teams, in one statement. */
  async accountsOfTeams(teamIds: readonly string[]): Promise<AccountRow[]> {
    const ids = teamIds.filter(isUuid);
    if (!ids.length) return [];
    return this.database.db
      .select()
      .from(whatsappAccounts)
      .where(inArray(whatsappAccounts.teamId, ids))
      .orderBy(asc(whatsappAccounts.createdAt), asc(whatsappAccounts.id));
  }

  /** The given accounts, only those that belong to `teamId`, in one statement. */
  async accountsByIds(teamId: string, accountIds: readonly string[]): Promise<AccountRow[]> {
    const ids = accountIds.filter(isUuid);
    if (!ids.length || !isUuid(teamId)) return [];
    return this.database.db
      .select()
      .from(whatsappAccounts)
      .where(and(eq(whatsappAccounts.teamId, teamId), inArray(whatsappAccounts.id, ids)));
  }
}
