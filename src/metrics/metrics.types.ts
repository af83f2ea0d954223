/** The metrics JSON of spec §4, as stored in analytics_snapshots.metrics and served over GraphQL. */
export interface Period {
  /** ISO-8601 UTC instant of the period start. */
  start: string;
  /** ISO-8601 UTC instant of `end − 1 ms` (real-time: now). */
  end: string;
}

export interface MessageMetrics {
  total: number;
  inbound: number;
  outbound: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  replied: number;
  deliveryRate: number;
  readRate: number;
  replyRate: number;
  failureRate: number;
}

export interface CampaignMetrics {
  total: number;
  active: number;
  completed: number;
  failed: number;
  totalRecipients: number;
  messagesSent: number;
  avgDeliveryRate: number;
  avgReadRate: number;
}

export interface ContactMetrics {
  total: number;
  new: number;
  active: number;
  blocked: number;
  avgEngagementScore: number;
}

export interface ConversationMetrics {
  total: number;
  open: number;
  closed: number;
  /** Seconds, 2 decimals. */
  avgResponseTime: number;
  /** Extra: customer turns that got an answer (the mean's denominator). */
  answeredTurns: number;
}

export interface AnalyticsMetrics {
  period: Period;
  messages: MessageMetrics;
  campaigns: CampaignMetrics;
  contacts: ContactMetrics;
  conversations: ConversationMetrics;
  generatedAt: string;
}

export type MetricSection = 'messages' | 'campaigns' | 'contacts' | 'conversations';
