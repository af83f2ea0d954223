/**
 * Pure calculations of spec §4. Rates are percentages rounded half away from zero to 2 decimals;
 * a zero denominator gives 0. Negative, non-finite or non-numeric input throws a RangeError.
 */

function check(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number, got ${String(value)}`);
  }
  if (value < 0) throw new RangeError(`${name} must not be negative, got ${value}`);
  return value;
}

/** Rounds half away from zero to `digits` decimals, exact for decimal inputs such as 1.005. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) throw new RangeError(`cannot round ${value}`);
  const sign = value < 0 ? -1 : 1;
  const shifted = Math.round(Number(`${Math.abs(value)}e${digits}`));
  const result = sign * Number(`${shifted}e-${digits}`);
  return result === 0 ? 0 : result; // no -0
}

/** numerator / denominator as a percentage, 2 decimals; 0 when the denominator is 0. */
export function percentage(numerator: number, denominator: number): number {
  check('numerator', numerator);
  check('denominator', denominator);
  return denominator === 0 ? 0 : round((numerator / denominator) * 100);
}

/** total / count, 2 decimals; 0 when count is 0. Used for means of unrounded values. */
export function mean(total: number, count: number): number {
  check('total', total);
  check('count', count);
  return count === 0 ? 0 : round(total / count);
}

export const calculateDeliveryRate = (delivered: number, sent: number) => percentage(delivered, sent);
export const calculateReadRate = (read: number, delivered: number) => percentage(read, delivered);
export const calculateReplyRate = (replied: number, sent: number) => percentage(replied, sent);
export const calculateFailureRate = (failed: number, total: number) => percentage(failed, total);
/** Engaged (replied) over reached (delivered). */
export const calculateEngagementRate = (engaged: number, reached: number) => percentage(engaged, reached);
/** Converted over recipients. */
export const calculateConversionRate = (converted: number, recipients: number) => percentage(converted, recipients);
/** Total response seconds over answered turns, 2 decimals. */
export const calculateAverageResponseTime = (totalSeconds: number, answeredTurns: number) =>
  mean(totalSeconds, answeredTurns);

export interface CampaignRates {
  deliveryRate: number;
  readRate: number;
  replyRate: number;
  failureRate: number;
}

/** 0.3·delivery + 0.3·read + 0.4·reply − 0.5·failure, clamped to [0, 100], 2 decimals. */
export function calculateCampaignScore(rates: CampaignRates): number {
  const d = check('deliveryRate', rates.deliveryRate);
  const r = check('readRate', rates.readRate);
  const p = check('replyRate', rates.replyRate);
  const f = check('failureRate', rates.failureRate);
  return round(Math.min(100, Math.max(0, 0.3 * d + 0.3 * r + 0.4 * p - 0.5 * f)));
}

export interface ContactActivity {
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  inbound: number;
}

/** Unrounded engagement score of one contact; means over contacts use this value. */
export function contactEngagementScore(a: ContactActivity): number {
  const sent = check('sent', a.sent);
  const delivered = check('delivered', a.delivered);
  const read = check('read', a.read);
  const replied = check('replied', a.replied);
  const inbound = check('inbound', a.inbound);
  const attention = delivered > 0 ? (read / delivered) * 100 : inbound > 0 ? 100 : 0;
  const responsiveness = sent > 0 ? Math.min(100, (replied / sent) * 100) : inbound > 0 ? 100 : 0;
  const initiative = inbound > 0 ? 100 : 0;
  return 0.5 * attention + 0.3 * responsiveness + 0.2 * initiative;
}

export const calculateContactEngagementScore = (a: ContactActivity) => round(contactEngagementScore(a));

/**
 * (current − previous) / previous · 100, 2 decimals. From a zero baseline: 0 when current is also 0,
 * otherwise null (growth from nothing is not a percentage).
 */
export function calculateGrowthRate(current: number, previous: number): number | null {
  check('current', current);
  check('previous', previous);
  if (previous === 0) return current === 0 ? 0 : null;
  return round(((current - previous) / previous) * 100);
}
