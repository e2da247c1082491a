// The fault suite's result table: one row per fault, printed at the end (the issue note quotes it).
export interface Row {
  fault: string;
  appended: number;
  stored: number;
  replies: number;
  sent: number;
  /** Replies ended 'failed' / delivery_unknown: transmitted when the fault hit, never sent again. */
  unknown: number;
  stuck: number;
  readyzDown: string;
  alert: string;
}

export function printFaultTable(table: Row[]): void {
  if (table.length === 0) return;
  const head =
    '| fault | appended | stored once | replies accepted | sent exactly once | of them delivery_unknown | stuck jobs | /readyz during fault (ready/samples) | ERROR stall line |';
  console.log(
    [
      head,
      '|---|---|---|---|---|---|---|---|---|',
      ...table.map(
        (r) =>
          `| ${r.fault} | ${r.appended} | ${r.stored} | ${r.replies} | ${r.sent} | ${r.unknown} | ${r.stuck} | ${r.readyzDown} | ${r.alert} |`,
      ),
    ].join('\n'),
  );
}
