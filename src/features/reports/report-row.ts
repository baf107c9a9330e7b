/**
 * A report's row as it answers: the columns that name its group, the
 * currency, then the figures the calculator gave for it (without its row
 * key), in that order. Every grouped report (burn, forecast, forecast versus
 * actual, ROI) builds its rows here.
 *
 * Object.assign onto a fresh object, not an object spread followed by more
 * properties: V8 gives an object made by a spread literal and then extended
 * a slow shape, and building the burn report's 1,000 rows that way took
 * about 10 ms, a quarter of the report's compute, against half a
 * millisecond this way (a one-off script, Node 20); the serialiser then
 * reads fast objects too.
 */
export function reportRow<C extends object, F extends { key: unknown }>(columns: C, currency: string, row: F): C & { currency: string } & Omit<F, 'key'> {
  const { key: _key, ...figures } = row;
  return Object.assign({}, columns, { currency }, figures);
}
