/**
 * ISO 4217 currencies in circulation and their minor units. Kept as data in
 * the code, not read from ICU, so that a report prints the same digits on
 * every machine. Codes for precious metals, funds and testing (XAU, XTS, ...)
 * are not money a marketing team spends, and are refused.
 */

const ZERO_DECIMALS = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const THREE_DECIMALS = 'BHD IQD JOD KWD LYD OMR TND';
const FOUR_DECIMALS = 'CLF UYW';
const TWO_DECIMALS =
  'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW ' +
  'CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ' +
  'ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV ' +
  'MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD ' +
  'SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG';

const MINOR_UNITS = new Map<string, number>();
for (const [list, digits] of [
  [ZERO_DECIMALS, 0],
  [TWO_DECIMALS, 2],
  [THREE_DECIMALS, 3],
  [FOUR_DECIMALS, 4],
] as const) {
  for (const code of list.split(' ')) MINOR_UNITS.set(code, digits);
}

export const CURRENCY_CODES: readonly string[] = [...MINOR_UNITS.keys()].sort();

export function isCurrencyCode(code: string): boolean {
  return MINOR_UNITS.has(code);
}

/** Number of fractional digits of the currency's minor unit (JPY 0, USD 2, KWD 3). */
export function minorUnits(code: string): number {
  const digits = MINOR_UNITS.get(code);
  if (digits === undefined) throw new RangeError(`unknown currency ${code}`);
  return digits;
}
