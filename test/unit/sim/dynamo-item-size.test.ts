/** DynamoDB item sizes as the simulator and the VPA benchmark count them (shared/sim/dynamo-item-size.ts). */
import { describe, expect, it } from 'vitest';
import { dynamoItemBytes, dynamoValueBytes } from '../../../shared/sim/dynamo-item-size';

describe('DynamoDB item size', () => {
  it("should count values by DynamoDB's rules", () => {
    expect(dynamoValueBytes('abc')).toBe(3);
    expect(dynamoValueBytes('é')).toBe(2);
    // One byte per two significant digits, plus one; leading and trailing zeros do not count.
    expect(dynamoValueBytes(7)).toBe(2);
    expect(dynamoValueBytes(12345)).toBe(4);
    expect(dynamoValueBytes(1_200_000)).toBe(2);
    expect(dynamoValueBytes(0.000125)).toBe(3);
    expect(dynamoValueBytes(-1.5)).toBe(2);
    expect(dynamoValueBytes(true)).toBe(1);
    expect(dynamoValueBytes(null)).toBe(1);
    // Lists and maps: 3 bytes, one per element, and the elements (a map's keys as names).
    expect(dynamoValueBytes([])).toBe(3);
    expect(dynamoValueBytes([1, 'ab'])).toBe(3 + 1 + 2 + 1 + 2);
    expect(dynamoValueBytes({ a: 1, skipped: undefined })).toBe(3 + 1 + 1 + 2);
    expect(() => dynamoValueBytes(() => 1)).toThrow(TypeError);
  });

  it('should add the keys, the version and the TTL of a state-store item', () => {
    const bytes = dynamoItemBytes({
      cluster: 'c',
      sk: 'vpa#a',
      version: 3,
      expiresAt: 1_800_000_000,
      data: { n: 1 },
    });
    // pk "cluster#c" (2 + 9), sk (2 + 5), version (7 + 2), expiresAt (9 + 2), data (4 + 3 + 1 + 1 + 2).
    expect(bytes).toBe(11 + 7 + 9 + 11 + 11);
    expect(dynamoItemBytes({ cluster: 'c', sk: 'x', version: 1, data: undefined })).toBe(11 + 3 + 9);
  });
});
