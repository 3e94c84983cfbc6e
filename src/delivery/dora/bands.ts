/**
 * DORA performance bands for each of the four keys, from the Accelerate State of DevOps reports
 * (DORA, Google Cloud) of 2023 and 2024. The reports describe clusters of respondents; the
 * boundaries below are the ones those clusters share in both years:
 *
 * | band   | deployment frequency           | lead time for changes | failed deployment recovery |
 * |--------|--------------------------------|-----------------------|----------------------------|
 * | Elite  | on demand (several a day)      | less than one day     | less than one hour         |
 * | High   | once a day to once a week      | one day to one week   | less than one day          |
 * | Medium | once a week to once a month    | one week to one month | one day to one week (2023) |
 * | Low    | less than once a month         | more than one month   | more than one week         |
 *
 * Change failure rate: the 2023 clusters have 5 % (elite), 10 % (high), 15 % (medium) and 64 %
 * (low); in 2024 they are not ordered (high 20 %, medium 10 %), so the bands use 2023's values
 * as upper bounds: up to 5 % Elite, 10 % High, 15 % Medium, above that Low.
 *
 * A month is 30 days. Deployment frequency is the window's deployments per day; "on demand" is
 * taken as at least one a day on average.
 */

export const BANDS = ['Elite', 'High', 'Medium', 'Low'] as const;
export type Band = (typeof BANDS)[number];

const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;
const WEEK_S = 7 * DAY_S;
const MONTH_S = 30 * DAY_S;

/** Deployments per day → band. */
export function frequencyBand(perDay: number): Band {
  if (perDay >= 1) return 'Elite';
  if (perDay >= 1 / 7) return 'High';
  if (perDay >= 1 / 30) return 'Medium';
  return 'Low';
}

/** Median lead time for changes (seconds) → band. */
export function leadTimeBand(seconds: number): Band {
  if (seconds < DAY_S) return 'Elite';
  if (seconds < WEEK_S) return 'High';
  if (seconds < MONTH_S) return 'Medium';
  return 'Low';
}

/** Change failure rate (0..1) → band. */
export function failureRateBand(rate: number): Band {
  if (rate <= 0.05) return 'Elite';
  if (rate <= 0.1) return 'High';
  if (rate <= 0.15) return 'Medium';
  return 'Low';
}

/** Median time to restore (seconds) → band. */
export function restoreBand(seconds: number): Band {
  if (seconds < HOUR_S) return 'Elite';
  if (seconds < DAY_S) return 'High';
  if (seconds < WEEK_S) return 'Medium';
  return 'Low';
}
