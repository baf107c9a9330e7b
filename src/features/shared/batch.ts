export interface BatchCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** The path prefix of batch item i in error paths: `items/412/`. */
export const itemPath = (index: number) => `items/${index}/`;
