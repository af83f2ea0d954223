import { describe, expect, it } from 'vitest';
import {
  calculateAverageResponseTime,
  calculateCampaignScore,
  calculateContactEngagementScore,
  calculateConversionRate,
  calculateDeliveryRate,
  calculateEngagementRate,
  calculateFailureRate,
  calculateGrowthRate,
  calculateReadRate,
  calculateReplyRate,
  round,
} from './calculations.js';

describe('rates', () => {
  it('are numerator/denominator as percentages', () => {
    expect(calculateDeliveryRate(90, 100)).toBe(90);
    expect(calculateDeliveryRate(0, 100)).toBe(0);
    expect(calculateDeliveryRate(100, 0)).toBe(0);
    expect(calculateReadRate(2, 3)).toBe(66.67);
    expect(calculateReplyRate(1, 3)).toBe(33.33);
    expect(calculateFailureRate(1, 8)).toBe(12.5);
    expect(calculateEngagementRate(5, 20)).toBe(25);
    expect(calculateConversionRate(3, 4)).toBe(75);
    expect(calculateAverageResponseTime(100, 3)).toBe(33.33);
    expect(calculateAverageResponseTime(0, 0)).toBe(0);
  });

  it('round half away from zero, exactly', () => {
    expect(round(1.005)).toBe(1.01);
    expect(round(2.675)).toBe(2.68);
    expect(round(-1.005)).toBe(-1.01);
    expect(round(0.125)).toBe(0.13);
    expect(round(-0.001)).toBe(0);
    expect(Object.is(round(-0.001), -0)).toBe(false);
    expect(calculateDeliveryRate(1, 8)).toBe(12.5);
    expect(calculateDeliveryRate(2, 3)).toBe(66.67);
  });

  it('reject negative, non-finite and non-numeric input with a RangeError', () => {
    expect(() => calculateDeliveryRate(-1, 10)).toThrow(RangeError);
    expect(() => calculateDeliveryRate(1, -10)).toThrow(RangeError);
    expect(() => calculateDeliveryRate(Number.NaN, 10)).toThrow(RangeError);
    expect(() => calculateReadRate(Number.POSITIVE_INFINITY, 10)).toThrow(RangeError);
    expect(() => calculateReplyRate('5' as unknown as number, 10)).toThrow(RangeError);
    expect(() => calculateFailureRate(null as unknown as number, 10)).toThrow(RangeError);
    expect(() => calculateGrowthRate(-1, 1)).toThrow(RangeError);
    expect(() => round(Number.NaN)).toThrow(RangeError);
  });
});

describe('calculateCampaignScore', () => {
  it('weights delivery, read and reply and penalises failure', () => {
    // 0.3·90 + 0.3·50 + 0.4·20 − 0.5·10 = 27 + 15 + 8 − 5 = 45
    expect(calculateCampaignScore({ deliveryRate: 90, readRate: 50, replyRate: 20, failureRate: 10 })).toBe(45);
  });
  it('is clamped to [0, 100]', () => {
    expect(calculateCampaignScore({ deliveryRate: 0, readRate: 0, replyRate: 0, failureRate: 100 })).toBe(0);
    expect(calculateCampaignScore({ deliveryRate: 100, readRate: 100, replyRate: 200, failureRate: 0 })).toBe(100);
  });
  it('rounds to 2 decimals', () => {
    // 0.3·33.33 + 0.3·33.33 + 0.4·33.33 − 0 = 33.33
    expect(calculateCampaignScore({ deliveryRate: 33.33, readRate: 33.33, replyRate: 33.33, failureRate: 0 })).toBe(33.33);
  });
  it('rejects bad input', () => {
    expect(() => calculateCampaignScore({ deliveryRate: Number.NaN, readRate: 0, replyRate: 0, failureRate: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('calculateContactEngagementScore', () => {
  it('combines attention, responsiveness and initiative', () => {
    // attention 1/2·100 = 50, responsiveness 1/4·100 = 25, initiative 100 → 25 + 7.5 + 20
    expect(calculateContactEngagementScore({ sent: 4, delivered: 2, read: 1, replied: 1, inbound: 3 })).toBe(52.5);
  });
  it('gives full attention and responsiveness to an inbound-only contact', () => {
    expect(calculateContactEngagementScore({ sent: 0, delivered: 0, read: 0, replied: 0, inbound: 2 })).toBe(100);
  });
  it('is 0 for a contact that never answered and got nothing delivered', () => {
    expect(calculateContactEngagementScore({ sent: 3, delivered: 0, read: 0, replied: 0, inbound: 0 })).toBe(0);
  });
  it('caps responsiveness at 100', () => {
    // attention 100, responsiveness min(100, 300) = 100, initiative 100
    expect(calculateContactEngagementScore({ sent: 1, delivered: 1, read: 1, replied: 3, inbound: 1 })).toBe(100);
  });
  it('rounds once to 2 decimals', () => {
    // attention 2/3·100 = 66.666…, responsiveness 0, initiative 0 → 33.333… → 33.33
    expect(calculateContactEngagementScore({ sent: 3, delivered: 3, read: 2, replied: 0, inbound: 0 })).toBe(33.33);
  });
});

describe('calculateGrowthRate', () => {
  it('is the percentage change', () => {
    expect(calculateGrowthRate(150, 100)).toBe(50);
    expect(calculateGrowthRate(50, 100)).toBe(-50);
    expect(calculateGrowthRate(1, 3)).toBe(-66.67);
  });
  it('is 0 from 0 to 0 and null from 0 to something', () => {
    expect(calculateGrowthRate(0, 0)).toBe(0);
    expect(calculateGrowthRate(5, 0)).toBeNull();
  });
});
