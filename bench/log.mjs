// A progress line, stamped with the time, on stderr (stdout is for results).
export const log = (line) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
