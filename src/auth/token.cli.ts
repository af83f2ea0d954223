/**
 * Signs a gateway token with JWT_SECRET, for operators and scripts:
 *   JWT_SECRET=... npm run token -- --team <team uuid> [--role member|admin] [--hours 12]
 * In production, tokens normally come from the CRM's login (same secret, same claims).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { isUuid } from '../teams/team.store.js';
import { secretKey, signToken, type Role } from './jwt.js';

const { values } = parseArgs({
  options: { team: { type: 'string' }, role: { type: 'string', default: 'member' }, hours: { type: 'string', default: '12' } },
});
const role = values.role as Role;
const hours = Number(values.hours);
if (!values.team || !isUuid(values.team) || (role !== 'member' && role !== 'admin') || !(hours > 0 && hours <= 24 * 365)) {
  console.error('usage: npm run token -- --team <team uuid> [--role member|admin] [--hours 1..8760]');
  process.exit(2);
}
const config = loadConfig();
if (config.devSecret) console.error('warning: JWT_SECRET is not set; signing with the development key');
console.log(await signToken({ teamId: values.team, role }, secretKey(config.jwtSecret), { expiresInSeconds: Math.round(hours * 3600) }));
