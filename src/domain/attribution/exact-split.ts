/**
 * Exact splitting of money (bigint attos) and conversion counts by shares.
 *
 * The rule, everywhere: a whole W is split by integer weights w_i of total
 * S as floor(W * w_i / S), and the units still owed (W minus the sum of
 * the floors, fewer than the number of parts) go one each to the parts
 * with the largest remainders W * w_i mod S, ties to the earlier part. The
 * parts add up to W exactly. A negative W is split as its absolute value
 * and negated, so that a refund splits into exactly the negated parts of
 * the conversion it refunds and nets to zero per campaign.
 *
 * Integer weights: linear and position_based have exact rational shares
 * (1/n; 2/5, 1/(5(n-2)), 2/5), used as such. Float shares (time_decay,
 * data_driven) are first put on a grid of 2^-48 by the same
 * largest-remainder rule (quantizeShares): a relative error of at most
 * 2^-48 per share, some 10^5 attos on a 1,000,000.00 conversion, far below
 * a cent, and the grid makes the division a shift.
 *
 * `splitAmount` is the plain bigint statement of the rule. The report loops
 * must not allocate a bigint per touch (2.5M touches a year), so
 * ConversionSplitter does the same arithmetic on 24-bit limbs held in
 * doubles (every product of two limbs is below 2^48, every sum below 2^53:
 * exact), accumulating per campaign in a LimbAccumulator, and turns limbs
 * back into bigints once per campaign at the end. Tests hold the two to
 * the same results.
 */

/** The grid float shares are put on: weights are integers summing to 2^48. */
export const SHARE_GRID = 2 ** 48;

const LIMB = 2 ** 24;
/** Multiplying by 2^-24 is exact, and cheaper than dividing. */
const INVERSE_LIMB = 2 ** -24;
const LIMB_BITS = 24n;
/** Limbs per amount: |amount| < 2^144 attos (2.2e25 units; the largest convertible amount is about 1e18 units). */
export const AMOUNT_LIMBS = 6;
const AMOUNT_LIMIT = 1n << 144n;
const LOW_48_BITS = (1n << 48n) - 1n;
const TWO_POW_53 = 1n << 53n;

// ------------------------------------------------------------ bigint reference

function checkWeights(weights: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const weight = weights[i]!;
    if (!Number.isSafeInteger(weight) || weight < 0) throw new RangeError(`weight ${i} must be a non-negative safe integer (got ${weight})`);
    total += weight;
  }
  if (!Number.isSafeInteger(total) || total <= 0) throw new RangeError('weights must have a positive total below 2^53');
  return total;
}

/** Part indices ordered by remainder, largest first, ties to the earlier part. */
function byLargestRemainder(remainders: readonly bigint[]): number[] {
  return remainders
    .map((_, index) => index)
    .sort((a, b) => (remainders[a]! > remainders[b]! ? -1 : remainders[a]! < remainders[b]! ? 1 : a - b));
}

/**
 * Splits `amount` by non-negative integer weights (largest remainder, ties
 * to the earlier part). The parts sum to `amount` exactly; splitting -amount
 * gives exactly the negated parts.
 */
export function splitAmount(amount: bigint, weights: ArrayLike<number>): bigint[] {
  const total = BigInt(checkWeights(weights));
  const whole = amount < 0n ? -amount : amount;
  const parts: bigint[] = [];
  const remainders: bigint[] = [];
  let owed = whole;
  for (let i = 0; i < weights.length; i++) {
    const product = whole * BigInt(weights[i]!);
    parts.push(product / total);
    remainders.push(product % total);
    owed -= product / total;
  }
  for (const index of byLargestRemainder(remainders)) {
    if (owed === 0n) break;
    parts[index]! += 1n;
    owed -= 1n;
  }
  return amount < 0n ? parts.map((part) => -part) : parts;
}

/**
 * Puts float shares (non-negative, positive sum; normalised here) on the
 * 2^-48 grid: integer weights summing to exactly SHARE_GRID, by largest
 * remainder. Writes out[0..n) from shares[0..n).
 */
export function quantizeShares(
  shares: ArrayLike<number>,
  n: number,
  out: Float64Array,
  scratch: { fractions: Float64Array; order: Int32Array } = { fractions: new Float64Array(n), order: new Int32Array(n) },
): void {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const share = shares[i]!;
    if (!(share >= 0) || share === Infinity) throw new RangeError(`share ${i} must be a non-negative finite number (got ${share})`);
    sum += share;
  }
  if (!(sum > 0)) throw new RangeError('shares must have a positive sum');
  let floorSum = 0;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    // Normalise first: share / sum <= 1 even for subnormal shares, and times 2^48 is exact.
    const exact = (shares[i]! / sum) * SHARE_GRID;
    const weight = Math.floor(exact);
    out[i] = weight;
    scratch.fractions[i] = exact - weight;
    floorSum += weight;
    if (weight > out[largest]!) largest = i;
  }
  let owed = SHARE_GRID - floorSum;
  if (owed > 0) {
    orderByRemainder(scratch.fractions, n, scratch.order);
    for (let rank = 0; rank < n && owed > 0 && scratch.fractions[scratch.order[rank]!]! > 0; rank++, owed--) {
      out[scratch.order[rank]!]! += 1;
    }
  }
  // Float rounding can leave the floors a unit or so off the grid's total: the largest weight absorbs it.
  if (owed !== 0) out[largest]! += owed;
}

/** A float-share split of a bigint: quantizeShares, then splitAmount. */
export function splitByShares(amount: bigint, shares: ArrayLike<number>): bigint[] {
  const weights = new Float64Array(shares.length);
  quantizeShares(shares, shares.length, weights);
  return splitAmount(amount, weights);
}

/** Scratch for orderByRemainder's insertion sort: the remainders in sorted order, beside `order`. */
let sortedRemainders = new Float64Array(64);

/**
 * Sorts order[0..n) = 0..n-1 by remainder, largest first, ties to the
 * earlier index. A stable insertion sort that moves values beside their
 * indices for the usual handful of touches; a comparator sort beyond.
 */
function orderByRemainder(remainders: Float64Array, n: number, order: Int32Array): void {
  if (n > 32) {
    for (let i = 0; i < n; i++) order[i] = i;
    order.subarray(0, n).sort((a, b) => remainders[b]! - remainders[a]! || a - b);
    return;
  }
  if (sortedRemainders.length < n) sortedRemainders = new Float64Array(64);
  const sorted = sortedRemainders;
  for (let i = 0; i < n; i++) {
    const remainder = remainders[i]!;
    let j = i - 1;
    while (j >= 0 && sorted[j]! < remainder) {
      sorted[j + 1] = sorted[j]!;
      order[j + 1] = order[j]!;
      j--;
    }
    sorted[j + 1] = remainder;
    order[j + 1] = i;
  }
}

// ------------------------------------------------------------ limbs

/** Writes |value| as base-2^24 limbs into out (little end first); returns how many are used (at least 1). */
export function toLimbs(value: bigint, out: Float64Array): number {
  const whole = value < 0n ? -value : value;
  if (whole >= AMOUNT_LIMIT) throw new RangeError(`amount ${value} is too large to attribute (at most 2^144 attos)`);
  if (whole < TWO_POW_53) return numberToLimbs(Number(whole), out, 0);
  const high = whole >> 48n;
  if (high < TWO_POW_53) {
    // Two 48-bit halves cover amounts below 2^101 attos (2.5e12 units) with three bigint operations.
    const low = Number(whole & LOW_48_BITS);
    const lowHigh = Math.floor(low / LIMB);
    out[0] = low - lowHigh * LIMB;
    out[1] = lowHigh;
    return 2 + numberToLimbs(Number(high), out, 2);
  }
  let rest = whole;
  let count = 0;
  while (rest > 0n) {
    out[count++] = Number(rest & 0xffffffn);
    rest >>= LIMB_BITS;
  }
  return count;
}

/** Writes the limbs of a safe integer from out[at]; returns how many (a zero still takes one). */
function numberToLimbs(value: number, out: Float64Array, at: number): number {
  let rest = value;
  let count = 0;
  do {
    const high = Math.floor(rest / LIMB);
    out[at + count++] = rest - high * LIMB;
    rest = high;
  } while (rest > 0);
  return count;
}

/**
 * Per-slot (campaign) sums of limbs, exact. A limb slot takes any number
 * of additions below 2^24 in magnitude until it could pass 2^53; before
 * that, normalize() carries every slot back to 24-bit limbs.
 */
export class LimbAccumulator {
  readonly limbs: Float64Array;
  private additions = 0;

  constructor(
    readonly slots: number,
    private readonly normalizeEvery = 2 ** 27,
  ) {
    this.limbs = new Float64Array(slots * AMOUNT_LIMBS);
  }

  /** To be called before up to `count` more additions into any one limb. */
  reserve(count: number): void {
    this.additions += count;
    if (this.additions > this.normalizeEvery) {
      this.normalize();
      this.additions = count;
    }
  }

  normalize(): void {
    const limbs = this.limbs;
    for (let slot = 0; slot < this.slots; slot++) {
      const base = slot * AMOUNT_LIMBS;
      let carry = 0;
      for (let j = 0; j < AMOUNT_LIMBS - 1; j++) {
        const value = limbs[base + j]! + carry;
        carry = Math.floor(value / LIMB);
        limbs[base + j] = value - carry * LIMB;
      }
      limbs[base + AMOUNT_LIMBS - 1]! += carry;
    }
  }

  total(slot: number): bigint {
    let sum = 0n;
    for (let j = AMOUNT_LIMBS - 1; j >= 0; j--) sum = (sum << LIMB_BITS) + BigInt(this.limbs[slot * AMOUNT_LIMBS + j]!);
    return sum;
  }

  totals(): bigint[] {
    return Array.from({ length: this.slots }, (_, slot) => this.total(slot));
  }
}

// ------------------------------------------------------------ the per-conversion splitter

/**
 * Splits one conversion's whole (given as limbs) over its touches, adding
 * each touch's part into its campaign's slot of an accumulator. Scratch
 * buffers grow to the largest conversion seen and are reused.
 */
export class ConversionSplitter {
  private remainders = new Float64Array(64);
  private order = new Int32Array(64);
  private fractions = new Float64Array(64);
  /** The grid weights of the current conversion (time_decay), filled by quantize(). */
  grid = new Float64Array(64);
  private readonly quotient = new Float64Array(AMOUNT_LIMBS + 2);
  private readonly product = new Float64Array(AMOUNT_LIMBS + 2);

  ensureCapacity(n: number): void {
    if (n <= this.remainders.length) return;
    let size = this.remainders.length;
    while (size < n) size *= 2;
    this.remainders = new Float64Array(size);
    this.order = new Int32Array(size);
    this.fractions = new Float64Array(size);
    this.grid = new Float64Array(size);
  }

  /** Puts shares[0..n) on the grid into this.grid. */
  quantize(shares: Float64Array, n: number): void {
    this.ensureCapacity(n);
    quantizeShares(shares, n, this.grid, { fractions: this.fractions, order: this.order });
  }

  /** The whole to one touch (first_touch, last_touch, a single touch). */
  whole(acc: Float64Array, campaign: number, limbs: Float64Array, k: number, sign: number): void {
    const base = campaign * AMOUNT_LIMBS;
    for (let j = 0; j < k; j++) acc[base + j]! += sign * limbs[j]!;
  }

  /**
   * floor(whole * w / s) into this.quotient, returning the remainder.
   * Needs w <= s < 2^29 so that every intermediate stays below 2^53.
   */
  private mulDiv(limbs: Float64Array, k: number, w: number, s: number): number {
    const product = this.product;
    let carry = 0;
    for (let j = 0; j < k; j++) {
      const t = limbs[j]! * w + carry;
      carry = Math.floor(t * INVERSE_LIMB);
      product[j] = t - carry * LIMB;
    }
    const top = Math.floor(carry * INVERSE_LIMB);
    product[k] = carry - top * LIMB;
    product[k + 1] = top;
    let remainder = 0;
    for (let j = k + 1; j >= 0; j--) {
      const current = remainder * LIMB + product[j]!;
      let q = Math.floor(current / s);
      remainder = current - q * s;
      if (remainder < 0) {
        q -= 1;
        remainder += s;
      } else if (remainder >= s) {
        q += 1;
        remainder -= s;
      }
      this.quotient[j] = q;
    }
    return remainder;
  }

  /** Equal shares 1/n: every touch gets floor(W/n), the first W mod n touches one unit more. */
  linear(acc: Float64Array, campaigns: Int32Array, start: number, n: number, limbs: Float64Array, k: number, sign: number): void {
    checkTouchCount(n);
    let owed = this.mulDiv(limbs, k, 1, n);
    const quotient = this.quotient;
    for (let i = 0; i < n; i++) {
      const base = campaigns[start + i]! * AMOUNT_LIMBS;
      for (let j = 0; j < k; j++) acc[base + j]! += sign * quotient[j]!;
      if (owed > 0) {
        acc[base]! += sign;
        owed--;
      }
    }
  }

  /**
   * position_based for n >= 3 as exact fractions over S = 5(n-2): the ends
   * weigh 2(n-2) (= 2/5), each middle touch 1 (= 0.2/(n-2)).
   */
  positionBased(acc: Float64Array, campaigns: Int32Array, start: number, n: number, limbs: Float64Array, k: number, sign: number): void {
    if (n <= 2) {
      this.linear(acc, campaigns, start, n, limbs, k, sign);
      return;
    }
    checkTouchCount(n);
    const middleCount = n - 2;
    const total = 5 * middleCount;
    // 2(n-2)/(5(n-2)) = 2/5: divide by 5, then put the remainder on the common denominator S.
    const endRemainder = this.mulDiv(limbs, k, 2, 5) * middleCount;
    const quotient = this.quotient;
    const first = campaigns[start]! * AMOUNT_LIMBS;
    const last = campaigns[start + n - 1]! * AMOUNT_LIMBS;
    for (let j = 0; j < k; j++) {
      acc[first + j]! += sign * quotient[j]!;
      acc[last + j]! += sign * quotient[j]!;
    }
    const middleRemainder = this.mulDiv(limbs, k, 1, total);
    for (let i = 1; i < n - 1; i++) {
      const base = campaigns[start + i]! * AMOUNT_LIMBS;
      for (let j = 0; j < k; j++) acc[base + j]! += sign * quotient[j]!;
    }
    const owed = (2 * endRemainder + middleCount * middleRemainder) / total;
    // Largest remainder, ties to the earlier touch: the ends (first, then last) come
    // before the middle when their remainder is larger, after it when smaller.
    this.ensureCapacity(n);
    const order = this.order;
    let rank = 0;
    if (endRemainder > middleRemainder) {
      order[rank++] = 0;
      order[rank++] = n - 1;
      for (let i = 1; i < n - 1; i++) order[rank++] = i;
    } else if (endRemainder < middleRemainder) {
      for (let i = 1; i < n - 1; i++) order[rank++] = i;
      order[rank++] = 0;
      order[rank++] = n - 1;
    } else {
      for (let i = 0; i < n; i++) order[rank++] = i;
    }
    for (let r = 0; r < owed; r++) acc[campaigns[start + order[r]!]! * AMOUNT_LIMBS]! += sign;
  }

  /**
   * Weights this.grid[0..n) summing to 2^48: each part is the whole times
   * the weight, shifted right by 48 bits, computed limb by limb with the
   * weight split into two 24-bit limbs.
   */
  byGrid(acc: Float64Array, campaigns: Int32Array, start: number, n: number, limbs: Float64Array, k: number, sign: number): void {
    const grid = this.grid;
    const remainders = this.remainders;
    const m0 = limbs[0]!;
    const m1 = k > 1 ? limbs[1]! : 0;
    let owed = 0;
    let remainderSum = 0;
    for (let i = 0; i < n; i++) {
      const weight = grid[i]!;
      const base = campaigns[start + i]! * AMOUNT_LIMBS;
      remainders[i] = 0;
      if (weight === 0) continue;
      if (weight === SHARE_GRID) {
        for (let j = 0; j < k; j++) acc[base + j]! += sign * limbs[j]!;
        continue;
      }
      const high = Math.floor(weight * INVERSE_LIMB);
      const low = weight - high * LIMB;
      // Product limbs 0 and 1 are the remainder (below 2^48); limbs 2..k+1 are the part.
      let t = m0 * low;
      let carry = Math.floor(t * INVERSE_LIMB);
      const digit0 = t - carry * LIMB;
      t = m1 * low + m0 * high + carry;
      carry = Math.floor(t * INVERSE_LIMB);
      const remainder = (t - carry * LIMB) * LIMB + digit0;
      let previous = m1;
      for (let j = 2; j <= k; j++) {
        const limb = j < k ? limbs[j]! : 0;
        t = limb * low + previous * high + carry;
        carry = Math.floor(t * INVERSE_LIMB);
        acc[base + j - 2]! += sign * (t - carry * LIMB);
        previous = limb;
      }
      acc[base + k - 1]! += sign * carry;
      remainders[i] = remainder;
      // The remainders add up to owed * 2^48 exactly; count the whole 2^48s without leaving safe integers.
      remainderSum += remainder;
      if (remainderSum >= SHARE_GRID) {
        remainderSum -= SHARE_GRID;
        owed++;
      }
    }
    if (owed === 0) return;
    orderByRemainder(remainders, n, this.order);
    for (let rank = 0; rank < owed; rank++) acc[campaigns[start + this.order[rank]!]! * AMOUNT_LIMBS]! += sign;
  }
}

/** mulDiv's bounds (5(n-2) < 2^29) with room to spare; no customer has 67 million touches in a window. */
const MAX_TOUCHES_PER_CONVERSION = 2 ** 26;

function checkTouchCount(n: number): void {
  if (n > MAX_TOUCHES_PER_CONVERSION) throw new RangeError(`a conversion with ${n} eligible touches is beyond the engine's exact arithmetic`);
}
