/**
 * The absorbing Markov chain behind data_driven, solved exactly (a linear
 * system, no simulation), with every campaign's removal effect from one LU
 * factorisation.
 *
 * States: start, the m campaigns, conversion and null (both absorbing).
 * With Q the campaign-to-campaign transition probabilities, r_c = P(c ->
 * conversion), s_c = P(start -> c), A = I - Q and N = A^-1 (expected visits):
 *
 *   x = N r          x_c = P(reach conversion | at c)
 *   P = s . x        P(reach conversion from start)
 *   h_c = (s N)_c / N_cc   P(ever visit c from start)
 *
 * Removing c (every transition into c redirected to null) removes exactly
 * the converting journeys that visit c, and from the first visit on those
 * convert with probability x_c, so P(without c) = P - h_c x_c and
 * RE(c) = 1 - P(without c)/P = h_c x_c / P. Computed that way it needs no
 * subtraction of nearly equal numbers, and no re-solve per campaign.
 *
 * Cost: the factorisation is m^3/3 multiply-adds, the diagonal of N another
 * m^3/3 (a row of U^-1 dotted with a column of L^-1 per campaign, O(m)
 * extra memory); the two solves are O(m^2). About a second for m = 1,000
 * campaigns on the project's 2-core machine.
 *
 * A is a non-singular M-matrix (every campaign state leaks to conversion
 * or null, so the chain is absorbing); partial pivoting is kept anyway, as
 * cheap insurance for nearly-closed loops (a campaign that mostly leads to
 * itself).
 */

/** Transition counts between the chain's states; campaign states are 0..size-1. */
export interface TransitionCounts {
  readonly size: number;
  /** start -> campaign j */
  readonly fromStart: Float64Array;
  /** campaign i -> campaign j at i * size + j (a self-transition i -> i included) */
  readonly between: Float64Array;
  /** campaign i -> conversion */
  readonly toConversion: Float64Array;
  /** campaign i -> null */
  readonly toNull: Float64Array;
}

export interface ChainSolution {
  /** P: the probability of reaching conversion from start. */
  readonly conversionProbability: number;
  /** x_c: the probability of reaching conversion from campaign c. */
  readonly absorption: Float64Array;
  /** h_c: the probability of ever visiting campaign c from start. */
  readonly visitProbability: Float64Array;
  /** RE(c) = 1 - P(without c)/P; all 0 when P = 0. */
  readonly removalEffects: Float64Array;
}

export function emptyCounts(size: number): TransitionCounts {
  return {
    size,
    fromStart: new Float64Array(size),
    between: new Float64Array(size * size),
    toConversion: new Float64Array(size),
    toNull: new Float64Array(size),
  };
}

export function solveChain(counts: TransitionCounts): ChainSolution {
  const m = counts.size;
  const absorption = new Float64Array(m);
  const visitProbability = new Float64Array(m);
  const removalEffects = new Float64Array(m);
  let startTotal = 0;
  for (let j = 0; j < m; j++) startTotal += counts.fromStart[j]!;
  if (m === 0 || startTotal === 0) return { conversionProbability: 0, absorption, visitProbability, removalEffects };

  // A = I - Q and r, one row per campaign state. A state with no recorded exit (none on a real path) is treated as -> null.
  const rows: Float64Array[] = [];
  const toConversion = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const row = new Float64Array(m);
    let total = counts.toConversion[i]! + counts.toNull[i]!;
    for (let j = 0; j < m; j++) total += counts.between[i * m + j]!;
    if (total > 0) {
      for (let j = 0; j < m; j++) row[j] = -counts.between[i * m + j]! / total;
      toConversion[i] = counts.toConversion[i]! / total;
    }
    row[i]! += 1;
    rows.push(row);
  }
  const start = new Float64Array(m);
  for (let j = 0; j < m; j++) start[j] = counts.fromStart[j]! / startTotal;

  const perm = factorize(rows);
  const lu = rows; // reordered and overwritten in place: lu[i] is the i-th pivot row, L and U together

  // x: L U x = P r.
  const x = absorption;
  for (let i = 0; i < m; i++) {
    const row = lu[i]!;
    x[i] = toConversion[perm[i]!]! - dot(row, x, 0, i);
  }
  for (let i = m - 1; i >= 0; i--) {
    const row = lu[i]!;
    x[i] = (x[i]! - dot(row, x, i + 1, m)) / row[i]!;
  }

  // y = s N, from A^T y = s with A^T = U^T L^T P: U^T w = s, L^T v = w, y[perm[i]] = v[i].
  const work = Float64Array.from(start);
  for (let i = 0; i < m; i++) {
    const row = lu[i]!;
    const w = work[i]! / row[i]!;
    work[i] = w;
    if (w !== 0) axpy(work, row, -w, i + 1, m);
  }
  for (let i = m - 1; i >= 0; i--) {
    const v = work[i]!;
    if (v !== 0) axpy(work, lu[i]!, -v, 0, i);
  }
  const expectedVisits = new Float64Array(m);
  for (let i = 0; i < m; i++) expectedVisits[perm[i]!] = work[i]!;

  let conversionProbability = 0;
  for (let c = 0; c < m; c++) conversionProbability += start[c]! * x[c]!;
  const diagonal = inverseDiagonal(lu, perm);
  for (let c = 0; c < m; c++) {
    if (expectedVisits[c]! > 0) visitProbability[c] = Math.min(1, Math.max(0, expectedVisits[c]! / diagonal[c]!));
  }
  for (let c = 0; c < m; c++) {
    absorption[c] = Math.min(1, Math.max(0, x[c]!));
    if (conversionProbability > 0) {
      const drop = visitProbability[c]! * absorption[c]!;
      removalEffects[c] = Math.min(1, drop / conversionProbability);
    }
  }
  return { conversionProbability, absorption, visitProbability, removalEffects };
}

/**
 * In-place LU with partial pivoting of the rows: afterwards rows[i] holds
 * row i of L (strictly below the diagonal, unit diagonal implied) and of U
 * (from the diagonal on), and perm[i] names the row of A it came from.
 */
function factorize(rows: Float64Array[]): Int32Array {
  const m = rows.length;
  const perm = new Int32Array(m);
  for (let i = 0; i < m; i++) perm[i] = i;
  for (let k = 0; k < m; k++) {
    let pivot = k;
    let largest = Math.abs(rows[k]![k]!);
    for (let i = k + 1; i < m; i++) {
      const size = Math.abs(rows[i]![k]!);
      if (size > largest) {
        largest = size;
        pivot = i;
      }
    }
    if (largest === 0) throw new Error('data_driven: the transition matrix is singular (a closed loop without exit)');
    if (pivot !== k) {
      const row = rows[k]!;
      rows[k] = rows[pivot]!;
      rows[pivot] = row;
      const from = perm[k]!;
      perm[k] = perm[pivot]!;
      perm[pivot] = from;
    }
    const pivotRow = rows[k]!;
    const pivotValue = pivotRow[k]!;
    for (let i = k + 1; i < m; i++) {
      const row = rows[i]!;
      const factor = row[k]! / pivotValue;
      if (factor === 0) continue;
      row[k] = factor;
      axpy(row, pivotRow, -factor, k + 1, m);
    }
  }
  return perm;
}

/**
 * The diagonal of N = A^-1 from the factors: with P A = L U, N = U^-1 L^-1 P,
 * so N_cc = (row c of U^-1) . (column i of L^-1) where perm[i] = c. Each
 * is a triangular solve over the factors: m^3/3 multiply-adds for all c,
 * in O(m) extra memory. (Blocking these loops, and the factorisation, by
 * four rows measured no faster here: the cost is arithmetic, not memory.)
 */
function inverseDiagonal(lu: Float64Array[], perm: Int32Array): Float64Array {
  const m = lu.length;
  const diagonal = new Float64Array(m);
  const pivotRowOf = new Int32Array(m);
  for (let i = 0; i < m; i++) pivotRowOf[perm[i]!] = i;
  const inverseRow = new Float64Array(m);
  const inverseColumn = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    // Row c of U^-1 (u U = e_c), accumulated row by row of U.
    inverseRow.fill(0, c, m);
    for (let j = c; j < m; j++) {
      const row = lu[j]!;
      const u = ((j === c ? 1 : 0) - inverseRow[j]!) / row[j]!;
      inverseRow[j] = u;
      if (u !== 0) axpy(inverseRow, row, u, j + 1, m);
    }
    // Column i of L^-1 (L v = e_i, L unit lower triangular).
    const i = pivotRowOf[c]!;
    inverseColumn[i] = 1;
    for (let k = i + 1; k < m; k++) inverseColumn[k] = -dot(lu[k]!, inverseColumn, i, k);
    diagonal[c] = dot(inverseRow, inverseColumn, Math.max(c, i), m);
  }
  return diagonal;
}

/** target[j] += alpha * source[j] for j in [from, to); unrolled, as the factorisation spends its time here. */
function axpy(target: Float64Array, source: Float64Array, alpha: number, from: number, to: number): void {
  let j = from;
  for (; j + 3 < to; j += 4) {
    target[j] = target[j]! + alpha * source[j]!;
    target[j + 1] = target[j + 1]! + alpha * source[j + 1]!;
    target[j + 2] = target[j + 2]! + alpha * source[j + 2]!;
    target[j + 3] = target[j + 3]! + alpha * source[j + 3]!;
  }
  for (; j < to; j++) target[j] = target[j]! + alpha * source[j]!;
}

/** Sum of a[j] * b[j] for j in [from, to), always in the same order (the same inputs give the same bits). */
function dot(a: Float64Array, b: Float64Array, from: number, to: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = from;
  for (; j + 3 < to; j += 4) {
    s0 += a[j]! * b[j]!;
    s1 += a[j + 1]! * b[j + 1]!;
    s2 += a[j + 2]! * b[j + 2]!;
    s3 += a[j + 3]! * b[j + 3]!;
  }
  for (; j < to; j++) s0 += a[j]! * b[j]!;
  return s0 + s1 + s2 + s3;
}
