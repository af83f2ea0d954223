import { calculateGrowthRate } from '../metrics/calculations.js';
import type { AnalyticsMetrics, MetricSection } from '../metrics/metrics.types.js';

/** The numeric fields of each section as GraphQL exposes them: what dashboard growth is computed over. */
export const METRIC_FIELDS = {
  messages: ['total', 'inbound', 'outbound', 'sent', 'delivered', 'read', 'failed', 'replied', 'deliveryRate', 'readRate', 'replyRate', 'failureRate'],
  campaigns: ['total', 'active', 'completed', 'failed', 'totalRecipients', 'messagesSent', 'avgDeliveryRate', 'avgReadRate'],
  contacts: ['total', 'new', 'active', 'blocked', 'avgEngagementScore'],
  conversations: ['total', 'open', 'closed', 'avgResponseTime', 'answeredTurns'],
} as const satisfies { [S in MetricSection]: ReadonlyArray<keyof AnalyticsMetrics[S]> };

/** Growth rate of every numeric field of the four sections; null = growth from a zero baseline. */
export type AnalyticsGrowthData = { [S in MetricSection]: Record<string, number | null> };

/** calculateGrowthRate(current, previous) of every numeric field, from the values as reported. */
export function growthOf(current: AnalyticsMetrics, previous: AnalyticsMetrics): AnalyticsGrowthData {
  const out = {} as AnalyticsGrowthData;
  for (const section of Object.keys(METRIC_FIELDS) as MetricSection[]) {
    const cur = current[section] as unknown as Record<string, number>;
    const prev = previous[section] as unknown as Record<string, number>;
    out[section] = Object.fromEntries(METRIC_FIELDS[section].map((f) => [f, calculateGrowthRate(cur[f] ?? 0, prev[f] ?? 0)]));
  }
  return out;
}
