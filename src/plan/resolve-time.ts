import type { RelativeTime } from '../shared/time.js';

/** What the relative times of a call resolved to, echoed in its result so the model can state the range. */
export interface ResolvedTime {
  /** The server clock used, ISO with the zone's offset. */
  readonly now: string;
  readonly time_zone: string;
  readonly values: readonly { readonly at: string; readonly field: string; readonly input: RelativeTime; readonly resolved: string }[];
}
